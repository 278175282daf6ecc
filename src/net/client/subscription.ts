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
