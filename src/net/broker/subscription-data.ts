import { javaStringHashCode, type MessageFilter } from '../../store/index.js';
import { ResponseCode } from '../codes.js';
import { BrokerError } from './broker-error.js';

/**
 * A consumer's subscription to one topic, as heartbeats carry it (HeartbeatData.subscriptionDataSet)
 * and as a pull may re-send it (`subscription` header). Tag expressions are `*` or tags separated
 * by `||`; the store filters on the tags' Java hash codes.
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

/** FilterAPI.build: parses a TAG expression. SQL92 is not supported and is refused. */
export function buildSubscription(topic: string, subString: string | undefined, expressionType = 'TAG', subVersion = Date.now()): SubscriptionData {
  if (expressionType && expressionType !== 'TAG') {
    throw new BrokerError(ResponseCode.SUBSCRIPTION_PARSE_FAILED, `expression type ${expressionType} is not supported (only TAG)`);
  }
  const sub: SubscriptionData = { topic, subString: SUB_ALL, tagsSet: [], codeSet: [], subVersion, expressionType: 'TAG', classFilterMode: false };
  if (subString === undefined || subString === '' || subString.trim() === SUB_ALL) return sub;
  sub.subString = subString;
  for (const raw of subString.split('||')) {
    const tag = raw.trim();
    if (!tag) continue;
    sub.tagsSet.push(tag);
    sub.codeSet.push(javaStringHashCode(tag));
  }
  if (sub.tagsSet.length === 0) throw new BrokerError(ResponseCode.SUBSCRIPTION_PARSE_FAILED, `subscription "${subString}" has no tags`);
  return sub;
}

/** Normalizes a heartbeat's subscription entry (fields may be missing or mistyped). */
export function subscriptionFromHeartbeat(v: unknown): SubscriptionData | null {
  const o = (v ?? {}) as Record<string, unknown>;
  if (typeof o.topic !== 'string') return null;
  const subString = typeof o.subString === 'string' ? o.subString : SUB_ALL;
  const subVersion = typeof o.subVersion === 'number' ? o.subVersion : Number(o.subVersion ?? 0) || 0;
  const expressionType = typeof o.expressionType === 'string' ? o.expressionType : 'TAG';
  if (expressionType !== 'TAG') {
    return { topic: o.topic, subString, tagsSet: [], codeSet: [], subVersion, expressionType, classFilterMode: false };
  }
  // Rebuild codes from the expression rather than trusting the client's list.
  return buildSubscription(o.topic, subString, 'TAG', subVersion);
}

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

const MATCH_ALL: MessageFilter = { isMatchedByConsumeQueue: () => true };

/** ExpressionMessageFilter for TAG subscriptions: `*` matches all, else the tag code must be in the set. */
export function tagFilter(sub: SubscriptionData | null): MessageFilter {
  if (!sub || sub.subString === SUB_ALL || sub.codeSet.length === 0) return MATCH_ALL;
  if (sub.codeSet.length === 1) {
    const code = sub.codeSet[0]!;
    return { isMatchedByConsumeQueue: (tagsCode) => tagsCode === code };
  }
  const codes = new Set(sub.codeSet);
  return { isMatchedByConsumeQueue: (tagsCode) => codes.has(tagsCode) };
}
