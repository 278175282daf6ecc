import { NAME_VALUE_SEPARATOR, PROPERTY_SEPARATOR, javaHashMapOrder } from '../../store/index.js';

/**
 * encodePropertiesJavaOrder with the key order memoized: the broker re-serializes every message's
 * properties in java.util.HashMap order (so stored bytes match RocketMQ's), and on the send path
 * nearly every message has the same key set, so the bucket computation is done once per key set.
 */
const MAX_CACHED = 512;
const orderCache = new Map<string, string[]>();

function orderOf(props: Map<string, string>): string[] {
  let sig = '';
  for (const k of props.keys()) sig += k + NAME_VALUE_SEPARATOR;
  let order = orderCache.get(sig);
  if (!order) {
    if (orderCache.size >= MAX_CACHED) orderCache.clear();
    order = javaHashMapOrder(props.keys());
    orderCache.set(sig, order);
  }
  return order;
}

/** Java HashMap order, empty values dropped, no trailing separator. */
export function encodeJavaOrder(props: Map<string, string>): string {
  let out = '';
  for (const k of orderOf(props)) {
    const v = props.get(k);
    if (v === undefined || v === '') continue;
    if (out) out += PROPERTY_SEPARATOR;
    out += k + NAME_VALUE_SEPARATOR + v;
  }
  return out;
}
