import type { MessageFilter } from '../../store/index.js';
import { parseTagExpression, SUB_ALL, type SubscriptionData } from '../subscription.js';
import { ResponseCode } from '../codes.js';
import { BrokerError } from './broker-error.js';

export { SUB_ALL, subscriptionJson, type SubscriptionData } from '../subscription.js';

/** FilterAPI.build: parses a TAG expression. SQL92 is not supported and is refused. */
export function buildSubscription(topic: string, subString: string | undefined, expressionType = 'TAG', subVersion = Date.now()): SubscriptionData {
  if (expressionType && expressionType !== 'TAG') {
    throw new BrokerError(ResponseCode.SUBSCRIPTION_PARSE_FAILED, `expression type ${expressionType} is not supported (only TAG)`);
  }
  const sub = parseTagExpression(topic, subString, subVersion);
  if (!sub) throw new BrokerError(ResponseCode.SUBSCRIPTION_PARSE_FAILED, `subscription "${subString}" has no tags`);
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
