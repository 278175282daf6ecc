import { parseTagExpression, SUB_ALL, type SubscriptionData } from '../subscription.js';
import { illegalArgument } from './errors.js';

export { SUB_ALL, subscriptionJson, type SubscriptionData } from '../subscription.js';

/**
 * A subscription for `topic` (FilterAPI.buildSubscriptionData); the client filters again by the
 * tag strings, since different tags can share a hash code.
 */
export function buildSubscriptionData(topic: string, subString: string | undefined | null): SubscriptionData {
  const sub = parseTagExpression(topic, subString);
  if (!sub) throw illegalArgument(`subscription "${subString}" of topic ${topic} has no tag`);
  return sub;
}

/** Whether a message with these tags passes the subscription (client-side re-filter). */
export function matchesSubscription(sub: SubscriptionData, tags: string | undefined): boolean {
  if (sub.subString === SUB_ALL || sub.tagsSet.length === 0) return true;
  return tags !== undefined && sub.tagsSet.includes(tags);
}

/** MessageSelector.bySql / byTag: how a consumer selects messages on the broker. */
export interface MessageSelector {
  type: 'TAG' | 'SQL92';
  expression: string;
}

export const MessageSelector = {
  /** SQL92 over the message's properties (the broker needs enablePropertyFilter=true). */
  bySql: (expression: string): MessageSelector => ({ type: 'SQL92', expression }),
  byTag: (expression: string): MessageSelector => ({ type: 'TAG', expression }),
};

/** A subscription from a selector: SQL92 is evaluated by the broker only (no tags to re-check here). */
export function subscriptionFromSelector(topic: string, sel: MessageSelector): SubscriptionData {
  if (sel.type === 'TAG') return buildSubscriptionData(topic, sel.expression);
  if (typeof sel.expression !== 'string' || sel.expression.trim() === '') throw illegalArgument('an SQL92 selector needs an expression');
  return { topic, subString: sel.expression.trim(), tagsSet: [], codeSet: [], subVersion: Date.now(), expressionType: 'SQL92', classFilterMode: false };
}
