import { illegalArgument } from './errors.js';

/**
 * Client-side checks before anything is sent (Validators.java): topic and group names, message
 * sizes. A bad argument fails here with a message naming it instead of as a broker error later.
 */
const VALID_NAME = /^[%|a-zA-Z0-9_-]+$/;
export const TOPIC_MAX_LENGTH = 127;
export const GROUP_MAX_LENGTH = 255;

/** Topics a producer may not send to (TopicValidator.NOT_ALLOWED_SEND_TOPIC_SET, and TBW102); the trace topic is not one: tracing clients send there. */
const SYSTEM_TOPICS = new Set(['TBW102', 'SCHEDULE_TOPIC_XXXX', 'RMQ_SYS_TRANS_HALF_TOPIC', 'RMQ_SYS_TRANS_OP_HALF_TOPIC', 'TRANS_CHECK_MAX_TIME_TOPIC', 'SELF_TEST_TOPIC', 'OFFSET_MOVED_EVENT']);

export function checkTopic(topic: string): string {
  if (typeof topic !== 'string' || topic.trim() === '') throw illegalArgument('The specified topic is blank');
  if (topic.length > TOPIC_MAX_LENGTH) throw illegalArgument(`The specified topic is longer than topic max length ${TOPIC_MAX_LENGTH}.`);
  if (!VALID_NAME.test(topic)) throw illegalArgument(`The specified topic[${topic}] contains illegal characters, allowing only ^[%|a-zA-Z0-9_-]+$`);
  return topic;
}

export function checkSendTopic(topic: string): void {
  checkTopic(topic);
  if (SYSTEM_TOPICS.has(topic)) throw illegalArgument(`Sending message to topic[${topic}] is forbidden.`);
}

export function checkGroup(group: string): void {
  if (typeof group !== 'string' || group.trim() === '') throw illegalArgument('the specified group is blank');
  if (group.length > GROUP_MAX_LENGTH) throw illegalArgument(`the specified group is longer than group max length ${GROUP_MAX_LENGTH}.`);
  if (!VALID_NAME.test(group)) throw illegalArgument(`the specified group[${group}] contains illegal characters, allowing only ^[%|a-zA-Z0-9_-]+$`);
}

export function checkBody(body: Buffer, maxMessageSize: number): void {
  if (body.length === 0) throw illegalArgument('the message body length is zero');
  if (body.length > maxMessageSize) throw illegalArgument(`the message body size over max value, MAX: ${maxMessageSize}`);
}
