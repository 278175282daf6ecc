import { javaStringHashCode } from '../../store/index.js';
import { illegalArgument } from './errors.js';

/**
 * A consumer's subscription to one topic (SubscriptionData, FilterAPI.buildSubscriptionData):
 * `*` for every message, or tags joined by `||`. The broker filters by the tags' Java hash codes
 * (ConsumeQueue tag codes); the client filters again by the tag strings, since different tags can
 * share a hash code.
 */
export const SUB_ALL = '*';

export interface SubscriptionData {
  topic: string;
  subString: string;
  tagsSet: string[];
  codeSet: number[];
  subVersion: number;
  classFilterMode: boolean;
  expressionType: 'TAG';
}

export function buildSubscriptionData(topic: string, subString: string | undefined | null): SubscriptionData {
  const sub: SubscriptionData = {
    topic,
    subString: SUB_ALL,
    tagsSet: [],
    codeSet: [],
    subVersion: Date.now(),
    classFilterMode: false,
    expressionType: 'TAG',
  };
  const s = (subString ?? '').trim();
  if (s === '' || s === SUB_ALL) return sub;
  sub.subString = s;
  for (const part of s.split('||')) {
    const tag = part.trim();
    if (tag === '' || sub.tagsSet.includes(tag)) continue;
    sub.tagsSet.push(tag);
    sub.codeSet.push(javaStringHashCode(tag));
  }
  if (sub.tagsSet.length === 0) throw illegalArgument(`subscription "${subString}" of topic ${topic} has no tag`);
  return sub;
}

/** Whether a message with these tags passes the subscription (client-side re-filter). */
export function matchesSubscription(sub: SubscriptionData, tags: string | undefined): boolean {
  if (sub.subString === SUB_ALL || sub.tagsSet.length === 0) return true;
  return tags !== undefined && sub.tagsSet.includes(tags);
}

/** The heartbeat form: fastjson writes bean fields alphabetically. */
export function subscriptionJson(sub: SubscriptionData): Record<string, unknown> {
  return {
    classFilterMode: sub.classFilterMode,
    codeSet: sub.codeSet,
    expressionType: sub.expressionType,
    subString: sub.subString,
    subVersion: sub.subVersion,
    tagsSet: sub.tagsSet,
    topic: sub.topic,
  };
}
