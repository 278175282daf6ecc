import { DLQ_GROUP_TOPIC_PREFIX, RETRY_GROUP_TOPIC_PREFIX } from './names.js';
import type { MessageQueue } from './message-queue.js';

/**
 * Client namespaces (RocketMQ 4.5+'s NamespaceUtil and ClientConfig.withNamespace): with a
 * namespace `ns` set, every topic and group a client names travels as `ns%name` (retry and DLQ
 * topics as `%RETRY%ns%group`), so tenants share brokers without sharing names; what the client
 * hands back (messages, queues, send results) carries the plain name again. System topics and
 * `CID_RMQ_SYS_` groups are never wrapped. The broker knows nothing of it: names are just names.
 */
export class Namespace {
  static readonly NONE = new Namespace('');

  private constructor(readonly name: string) {}

  /** The namespace a client config names, or one taken from an Aliyun instance endpoint (MQ_INST_x_y.host). */
  static of(cfg: { namespace: string; namesrvAddr: string }): Namespace {
    const name = cfg.namespace || instanceIdOf(cfg.namesrvAddr);
    return name ? new Namespace(name) : Namespace.NONE;
  }

  get active(): boolean {
    return this.name !== '';
  }

  /** NamespaceUtil.wrapNamespace. */
  wrap(resource: string): string {
    const ns = this.name;
    if (!ns || !resource || isSystemResource(resource) || withoutRetryAndDlq(resource).startsWith(`${ns}%`)) return resource;
    return `${prefixOf(resource)}${ns}%${withoutRetryAndDlq(resource)}`;
  }

  /** NamespaceUtil.withoutNamespace(resource, namespace): this namespace off, any other left on. */
  unwrap(resource: string): string {
    const ns = this.name;
    if (!ns || !resource || isSystemResource(resource)) return resource;
    const rest = withoutRetryAndDlq(resource);
    return rest.startsWith(`${ns}%`) ? prefixOf(resource) + rest.slice(ns.length + 1) : resource;
  }

  wrapQueue(mq: MessageQueue): MessageQueue {
    return this.active ? { topic: this.wrap(mq.topic), brokerName: mq.brokerName, queueId: mq.queueId } : mq;
  }

  unwrapQueue(mq: MessageQueue): MessageQueue {
    return this.active ? { topic: this.unwrap(mq.topic), brokerName: mq.brokerName, queueId: mq.queueId } : mq;
  }

  /** A listener that sees the application's topic names (resetRetryAndNamespace before every listener call). */
  deliver<M extends { topic: string }, C, R>(listener: (msgs: M[], ctx: C) => R): (msgs: M[], ctx: C) => R {
    return this.active ? (msgs, ctx) => listener(this.unwrapTopics(msgs), ctx) : listener;
  }

  /** The topics of messages handed to the application (their queues and contexts keep the wire name). */
  unwrapTopics<T extends { topic: string }>(msgs: T[]): T[] {
    if (this.active) for (const m of msgs) m.topic = this.unwrap(m.topic);
    return msgs;
  }
}

/** TopicValidator's system topic set (4.9), never namespaced. */
const SYSTEM_TOPICS: ReadonlySet<string> = new Set([
  'TBW102',
  'SCHEDULE_TOPIC_XXXX',
  'BenchmarkTest',
  'RMQ_SYS_TRANS_HALF_TOPIC',
  'RMQ_SYS_TRACE_TOPIC',
  'RMQ_SYS_TRANS_OP_HALF_TOPIC',
  'TRANS_CHECK_MAX_TIME_TOPIC',
  'SELF_TEST_TOPIC',
  'OFFSET_MOVED_EVENT',
]);

function isSystemResource(r: string): boolean {
  return SYSTEM_TOPICS.has(r) || r.startsWith('rmq_sys_') || r.startsWith('CID_RMQ_SYS_');
}

function prefixOf(r: string): string {
  return r.startsWith(RETRY_GROUP_TOPIC_PREFIX) ? RETRY_GROUP_TOPIC_PREFIX : r.startsWith(DLQ_GROUP_TOPIC_PREFIX) ? DLQ_GROUP_TOPIC_PREFIX : '';
}

function withoutRetryAndDlq(r: string): string {
  return r.slice(prefixOf(r).length);
}

/** NameServerAddressUtils: `[scheme://]MQ_INST_<a>_<b>.<host...>` names an instance, and the instance is the namespace. */
function instanceIdOf(addr: string): string {
  if (!/^(\w+:\/\/|)MQ_INST_\w+_\w+\..*$/.test(addr)) return '';
  return addr.slice(addr.lastIndexOf('/') + 1, addr.indexOf('.'));
}
