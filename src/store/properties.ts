import { javaStringHashCode } from './java-hash.js';

/**
 * RocketMQ's message property string: `name \u0001 value \u0002 name \u0001 value` with no trailing
 * separator. The broker rebuilds it from a map in Java HashMap iteration order, so to reproduce
 * its bytes we order keys the way a HashMap<String,String> with default capacity would.
 */
export const NAME_VALUE_SEPARATOR = '\u0001';
export const PROPERTY_SEPARATOR = '\u0002';

export const PROPERTY = {
  KEYS: 'KEYS',
  TAGS: 'TAGS',
  WAIT: 'WAIT',
  DELAY: 'DELAY',
  RETRY_TOPIC: 'RETRY_TOPIC',
  REAL_TOPIC: 'REAL_TOPIC',
  REAL_QID: 'REAL_QID',
  TRAN_MSG: 'TRAN_MSG',
  PGROUP: 'PGROUP',
  MIN_OFFSET: 'MIN_OFFSET',
  MAX_OFFSET: 'MAX_OFFSET',
  ORIGIN_MESSAGE_ID: 'ORIGIN_MESSAGE_ID',
  RECONSUME_TIME: 'RECONSUME_TIME',
  MAX_RECONSUME_TIMES: 'MAX_RECONSUME_TIMES',
  UNIQ_KEY: 'UNIQ_KEY',
  CLUSTER: 'CLUSTER',
  MSG_REGION: 'MSG_REGION',
  TRACE_ON: 'TRACE_ON',
  /** Request-reply messages (RocketMQ 4.6+). */
  CORRELATION_ID: 'CORRELATION_ID',
  REPLY_TO_CLIENT: 'REPLY_TO_CLIENT',
  TTL: 'TTL',
  ARRIVE_TIME: 'ARRIVE_TIME',
  PUSH_REPLY_TIME: 'PUSH_REPLY_TIME',
  MSG_TYPE: 'MSG_TYPE',
} as const;

/** Parses a property string; like MessageDecoder.string2messageProperties it drops empty values. */
export function decodeProperties(s: string | undefined | null): Map<string, string> {
  const out = new Map<string, string>();
  if (!s) return out;
  let start = 0;
  while (start < s.length) {
    let end = s.indexOf(PROPERTY_SEPARATOR, start);
    if (end < 0) end = s.length;
    const sep = s.indexOf(NAME_VALUE_SEPARATOR, start);
    if (sep > start && sep < end - 1) out.set(s.slice(start, sep), s.slice(sep + 1, end));
    start = end + 1;
  }
  return out;
}

/**
 * decodeProperties into a plain object (StoredMessage.properties), without the Map in between:
 * every consumed message is decoded. A `__proto__` name stays an own property, as
 * Object.fromEntries would make it, instead of reaching the prototype setter.
 */
export function decodePropertiesObject(s: string): Record<string, string> {
  const out: Record<string, string> = {};
  let start = 0;
  while (start < s.length) {
    let end = s.indexOf(PROPERTY_SEPARATOR, start);
    if (end < 0) end = s.length;
    const sep = s.indexOf(NAME_VALUE_SEPARATOR, start);
    if (sep > start && sep < end - 1) {
      const name = s.slice(start, sep);
      if (name === '__proto__') Object.defineProperty(out, name, { value: s.slice(sep + 1, end), enumerable: true, writable: true, configurable: true });
      else out[name] = s.slice(sep + 1, end);
    }
    start = end + 1;
  }
  return out;
}

/** Encodes in the given map's order (no trailing separator); null/undefined values skipped. */
export function encodeProperties(props: Map<string, string> | Record<string, string | undefined>): string {
  let out = '';
  const entries = props instanceof Map ? props.entries() : Object.entries(props);
  for (const [k, v] of entries) {
    if (v === undefined || v === null) continue;
    if (out) out += PROPERTY_SEPARATOR;
    out += k + NAME_VALUE_SEPARATOR + v;
  }
  return out;
}

const NEEDLES = new Map<string, string>();

/** Reads one property from an encoded string without building a map (hot path: TAGS, KEYS). */
export function findProperty(s: string | undefined, name: string): string | undefined {
  if (!s) return undefined;
  // Built once per name: concatenating per call allocated (and flattened) a string three times a message.
  let needle = NEEDLES.get(name);
  if (needle === undefined) {
    needle = name + NAME_VALUE_SEPARATOR;
    if (NEEDLES.size < 64) NEEDLES.set(name, needle);
  }
  let from = 0;
  for (;;) {
    const i = s.indexOf(needle, from);
    if (i < 0) return undefined;
    if (i === 0 || s.charCodeAt(i - 1) === 2) {
      const v = i + name.length + 1;
      const end = s.indexOf(PROPERTY_SEPARATOR, v);
      return s.slice(v, end < 0 ? s.length : end);
    }
    from = i + 1;
  }
}

/**
 * Keys in the iteration order of a java.util.HashMap built by inserting them in the given order:
 * table of 16 buckets doubling past 0.75 load, bucket = spread(hash) & (n - 1), insertion order
 * within a bucket (a resize keeps relative order, as Java's split does).
 */
export function javaHashMapOrder(keys: Iterable<string>): string[] {
  const uniq = [...new Set(keys)];
  let n = 16;
  while (uniq.length > n * 0.75) n *= 2;
  const buckets: string[][] = Array.from({ length: n }, () => []);
  for (const k of uniq) {
    const h = javaStringHashCode(k);
    buckets[(h ^ (h >>> 16)) & (n - 1)]!.push(k);
  }
  return buckets.flat();
}

/** Encodes a map the way the broker stores it: Java HashMap order, empty values dropped. */
export function encodePropertiesJavaOrder(props: Map<string, string>): string {
  const ordered = new Map<string, string>();
  for (const k of javaHashMapOrder(props.keys())) {
    const v = props.get(k)!;
    if (v !== '') ordered.set(k, v);
  }
  return encodeProperties(ordered);
}
