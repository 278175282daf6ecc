import { ResponseCode } from '../codes.js';
import { BrokerError } from './broker-error.js';

/**
 * RocketMQ 4.9.8 TopicValidator: names are `^[%|a-zA-Z0-9_-]+$`, at most 127 characters. Names
 * become directory names under consumequeue/, so anything else (a path separator, `..`, NUL) is
 * refused here, before any code path can touch the filesystem with it.
 */
export const TOPIC_MAX_LENGTH = 127;
export const GROUP_MAX_LENGTH = 255;
const LEGAL = /^[%|a-zA-Z0-9_-]+$/;

export const SYSTEM_TOPIC = {
  AUTO_CREATE_TOPIC_KEY: 'TBW102',
  SCHEDULE: 'SCHEDULE_TOPIC_XXXX',
  BENCHMARK: 'BenchmarkTest',
  TRANS_HALF: 'RMQ_SYS_TRANS_HALF_TOPIC',
  TRANS_OP_HALF: 'RMQ_SYS_TRANS_OP_HALF_TOPIC',
  TRANS_CHECK_MAX_TIME: 'TRANS_CHECK_MAX_TIME_TOPIC',
  SELF_TEST: 'SELF_TEST_TOPIC',
  OFFSET_MOVED_EVENT: 'OFFSET_MOVED_EVENT',
  TRACE: 'RMQ_SYS_TRACE_TOPIC',
} as const;

export const RETRY_PREFIX = '%RETRY%';
export const DLQ_PREFIX = '%DLQ%';

/** Topics producers may not send to (SYSTEM_TOPIC "not allowed send" set of 4.9.8). */
const SEND_FORBIDDEN: ReadonlySet<string> = new Set([
  SYSTEM_TOPIC.SCHEDULE,
  SYSTEM_TOPIC.TRANS_HALF,
  SYSTEM_TOPIC.TRANS_OP_HALF,
  SYSTEM_TOPIC.TRANS_CHECK_MAX_TIME,
  SYSTEM_TOPIC.SELF_TEST,
  SYSTEM_TOPIC.OFFSET_MOVED_EVENT,
]);

const SYSTEM_TOPICS: ReadonlySet<string> = new Set(Object.values(SYSTEM_TOPIC));

/** Why a topic name is illegal, or null when it is fine. */
export function topicProblem(topic: string | undefined): string | null {
  if (topic === undefined || topic.trim() === '') return 'The specified topic is blank.';
  if (topic.length > TOPIC_MAX_LENGTH) return `The specified topic is longer than topic max length ${TOPIC_MAX_LENGTH}.`;
  if (!LEGAL.test(topic)) return 'The specified topic contains illegal characters, allowing only ^[%|a-zA-Z0-9_-]+$';
  return null;
}

/** Throws SYSTEM_ERROR (RocketMQ's answer to an illegal topic) naming the topic. */
export function checkTopic(topic: string | undefined): string {
  const problem = topicProblem(topic);
  if (problem) throw new BrokerError(ResponseCode.SYSTEM_ERROR, `${problem} topic[${topic ?? ''}]`);
  return topic!;
}

/** Group names: same characters, up to 255 (RocketMQ checks them client-side only; we check here too). */
export function groupProblem(group: string | undefined): string | null {
  if (group === undefined || group.trim() === '') return 'The specified group is blank.';
  if (group.length > GROUP_MAX_LENGTH) return `The specified group is longer than group max length ${GROUP_MAX_LENGTH}.`;
  if (!LEGAL.test(group)) return 'The specified group contains illegal characters, allowing only ^[%|a-zA-Z0-9_-]+$';
  return null;
}

export function checkGroup(group: string | undefined): string {
  const problem = groupProblem(group);
  if (problem) throw new BrokerError(ResponseCode.SYSTEM_ERROR, `${problem} group[${group ?? ''}]`);
  return group!;
}

export function isSendForbidden(topic: string): boolean {
  return SEND_FORBIDDEN.has(topic);
}

export function isSystemTopic(topic: string): boolean {
  return SYSTEM_TOPICS.has(topic) || topic.startsWith('rmq_sys_');
}

export function retryTopic(group: string): string {
  return RETRY_PREFIX + group;
}

export function dlqTopic(group: string): string {
  return DLQ_PREFIX + group;
}
