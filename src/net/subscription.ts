import { javaStringHashCode } from '../store/index.js';

/**
 * A consumer's subscription to one topic as the protocol carries it (SubscriptionData in
 * heartbeats and in a pull's `subscription` header). Shared by the broker and the client.
 *
 * TAG expressions are `*` (everything) or tags joined by `||`; brokers filter on the tags' Java
 * hash codes (ConsumeQueue tag codes), clients again on the tag strings.
 */
export interface SubscriptionData {
  topic: string;
  subString: string;
  tagsSet: string[];
  codeSet: number[];
  subVersion: number;
  expressionType: string;
  classFilterMode: boolean;
}

export const SUB_ALL = '*';

/**
 * Parses a TAG expression (FilterAPI.buildSubscriptionData): `*`, empty or missing means all; else
 * the trimmed, de-duplicated tags with their hash codes. Null when a non-`*` expression holds no
 * tag at all (callers raise their own error type).
 */
export function parseTagExpression(topic: string, expr: string | undefined | null, subVersion = Date.now()): SubscriptionData | null {
  const sub: SubscriptionData = { topic, subString: SUB_ALL, tagsSet: [], codeSet: [], subVersion, expressionType: 'TAG', classFilterMode: false };
  const s = (expr ?? '').trim();
  if (s === '' || s === SUB_ALL) return sub;
  sub.subString = s;
  for (const part of s.split('||')) {
    const tag = part.trim();
    if (tag === '' || sub.tagsSet.includes(tag)) continue;
    sub.tagsSet.push(tag);
    sub.codeSet.push(javaStringHashCode(tag));
  }
  return sub.tagsSet.length === 0 ? null : sub;
}

/** The JSON form (fastjson writes bean fields alphabetically). */
export function subscriptionJson(s: SubscriptionData): Record<string, unknown> {
  return {
    classFilterMode: s.classFilterMode,
    codeSet: s.codeSet,
    expressionType: s.expressionType,
    subString: s.subString,
    subVersion: s.subVersion,
    tagsSet: s.tagsSet,
    topic: s.topic,
  };
}
