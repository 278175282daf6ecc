import { PROPERTY, SYSFLAG_COMPRESSED, decodeMessage, type StoredMessage } from '../../store/index.js';
import { COMPRESSION_TYPE_MASK, decompressBody } from './compression.js';
import { illegalArgument } from './errors.js';

/**
 * A message as a producer builds it (org.apache.rocketmq.common.message.Message): topic, body,
 * user flag and a property map in which tags, keys, delay level and the wait flag live under
 * RocketMQ's reserved names. Keys are kept space-separated, as the broker indexes them.
 */
export interface MessageOptions {
  tags?: string;
  keys?: string | readonly string[];
  /** User properties (names must not be RocketMQ's reserved ones). */
  properties?: Record<string, string>;
  /** 1..18 = 1s 5s 10s 30s 1m ... 2h (broker messageDelayLevel); 0 = no delay. */
  delayTimeLevel?: number;
  flag?: number;
  /** Property WAIT: the broker answers only after the store accepted the message (default true). */
  waitStoreMsgOK?: boolean;
}

const KEY_SEPARATOR = ' ';
const NO_OPTIONS: MessageOptions = Object.freeze({});

/** Property names a user may not set (MessageConst.STRING_HASH_SET). */
const RESERVED = new Set<string>([
  ...Object.values(PROPERTY),
  'TRANSFER_FLAG', 'CORRECTION_FLAG', 'MQ2_FLAG', 'BUYER_ID', 'CONSUME_START_TIME', 'TRAN_PREPARED_QUEUE_OFFSET',
  'TRANSACTION_CHECK_TIMES', 'CHECK_IMMUNITY_TIME_IN_SECONDS', 'INSTANCE_ID', 'CORRELATION_ID', 'REPLY_TO_CLIENT', 'TTL',
  'ARRIVE_TIME', 'PUSH_REPLY_TIME', 'MSG_TYPE', 'INNER_MULTI_DISPATCH', 'INNER_MULTI_QUEUE_OFFSET', 'SHARDING_KEY',
]);

export class Message {
  topic: string;
  body: Buffer;
  flag: number;
  readonly properties = new Map<string, string>();

  constructor(topic: string, body: Buffer | string, opts: MessageOptions = NO_OPTIONS) {
    this.topic = topic;
    this.body = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    this.flag = opts.flag ?? 0;
    if (opts.tags) this.tags = opts.tags;
    if (opts.keys !== undefined) this.keys = opts.keys;
    if (opts.delayTimeLevel) this.delayTimeLevel = opts.delayTimeLevel;
    this.waitStoreMsgOK = opts.waitStoreMsgOK ?? true;
    if (opts.properties !== undefined) for (const [k, v] of Object.entries(opts.properties)) this.putUserProperty(k, v);
  }

  get tags(): string | undefined {
    return this.properties.get(PROPERTY.TAGS);
  }

  set tags(v: string | undefined) {
    this.setOrDelete(PROPERTY.TAGS, v);
  }

  get keys(): string | undefined {
    return this.properties.get(PROPERTY.KEYS);
  }

  set keys(v: string | readonly string[] | undefined) {
    this.setOrDelete(PROPERTY.KEYS, typeof v === 'string' || v === undefined ? v : v.join(KEY_SEPARATOR));
  }

  get delayTimeLevel(): number {
    return Number(this.properties.get(PROPERTY.DELAY) ?? 0);
  }

  set delayTimeLevel(level: number) {
    if (!Number.isInteger(level) || level < 0) throw illegalArgument(`bad delayTimeLevel ${level}`);
    this.setOrDelete(PROPERTY.DELAY, level > 0 ? String(level) : undefined);
  }

  get waitStoreMsgOK(): boolean {
    return this.properties.get(PROPERTY.WAIT) !== 'false';
  }

  set waitStoreMsgOK(v: boolean) {
    this.properties.set(PROPERTY.WAIT, String(v));
  }

  /** The client message id (UNIQ_KEY) once the producer assigned one. */
  get uniqKey(): string | undefined {
    return this.properties.get(PROPERTY.UNIQ_KEY);
  }

  putUserProperty(name: string, value: string): void {
    if (!name || value === undefined || value === null || value === '') {
      throw illegalArgument('The name or value of property can not be null or blank string!');
    }
    if (RESERVED.has(name)) throw illegalArgument(`The Property<${name}> is used by system, input another please`);
    this.properties.set(name, value);
  }

  getProperty(name: string): string | undefined {
    return this.properties.get(name);
  }

  private setOrDelete(name: string, v: string | undefined): void {
    if (v === undefined || v === '') this.properties.delete(name);
    else this.properties.set(name, v);
  }
}

/**
 * The property string of a message (name \u0001 value \u0002 ..., no trailing separator). Same
 * output as the store's encodeProperties, without per-entry arrays: it runs for every send.
 */
export function encodeProperties(props: Map<string, string>): string {
  let out = '';
  for (const k of props.keys()) out += (out === '' ? '' : '\u0002') + k + '\u0001' + props.get(k)!;
  return out;
}

/**
 * A consumed or looked-up message (MessageExt / MessageClientExt): the stored record decoded,
 * body decompressed, and `msgId` the producer's UNIQ_KEY when it set one (else the offsetMsgId).
 */
export interface MessageExt extends StoredMessage {
  msgId: string;
  /** Broker-assigned id: store host + commit log offset (what VIEW_MESSAGE_BY_ID takes). */
  offsetMsgId: string;
  tags?: string;
  keys?: string;
  brokerName: string;
  /** When a push consumer handed it to its listener (consumeTimeout); 0 before. */
  consumeStartTime?: number;
}

export function toMessageExt(m: StoredMessage, brokerName: string): MessageExt {
  const ext = m as MessageExt;
  ext.offsetMsgId = m.msgId;
  ext.msgId = m.properties[PROPERTY.UNIQ_KEY] ?? m.msgId;
  ext.brokerName = brokerName;
  // Set here, not first at consumption, so every message keeps one object shape.
  ext.consumeStartTime = 0;
  const tags = m.properties[PROPERTY.TAGS];
  if (tags !== undefined) ext.tags = tags;
  const keys = m.properties[PROPERTY.KEYS];
  if (keys !== undefined) ext.keys = keys;
  if (m.sysFlag & SYSFLAG_COMPRESSED) {
    const body = decompressBody(m.body, m.sysFlag);
    if (body !== null) {
      ext.body = body;
      ext.sysFlag &= ~(SYSFLAG_COMPRESSED | COMPRESSION_TYPE_MASK);
    }
  }
  return ext;
}

/**
 * Records back to back (pull, query and view bodies) -> messages. A record that cannot be decoded
 * (bad lengths, a compressed body that does not inflate) ends the list there, as Java's
 * MessageDecoder.decodes does: throwing instead would make a pull consumer retry the same offset
 * for ever, stuck behind one bad message.
 */
export function decodeMessageExts(body: Buffer | undefined, brokerName: string, onBad?: (err: unknown) => void): MessageExt[] {
  if (!body || body.length === 0) return [];
  const out: MessageExt[] = [];
  for (let p = 0; p + 4 <= body.length; ) {
    const size = body.readInt32BE(p);
    if (size <= 0 || p + size > body.length) break;
    try {
      out.push(toMessageExt(decodeMessage(body, p), brokerName));
    } catch (err) {
      onBad?.(err);
      break;
    }
    p += size;
  }
  return out;
}
