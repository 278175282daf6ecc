import { RequestCode } from '../codes.js';
import type { ClientInstance } from './client-instance.js';
import { MASTER_ID } from './route.js';
import { type SubscriptionData, subscriptionJson } from './subscription.js';

/**
 * As Java's checkClientInBroker: every master serving a topic with an SQL92 subscription is asked
 * (CHECK_CLIENT_CONFIG) whether it can filter by it; one that cannot fails the start with its reason.
 */
export async function checkClientInBroker(inst: ClientInstance, group: string, subs: Iterable<SubscriptionData>): Promise<void> {
  for (const sub of subs) {
    if (sub.expressionType === 'TAG') continue;
    const route = await inst.updateTopicRoute(sub.topic);
    for (const bd of route?.brokerDatas ?? []) {
      const addr = bd.brokerAddrs.get(MASTER_ID);
      if (!addr) continue;
      const body = Buffer.from(JSON.stringify({ clientId: inst.clientId, group, subscriptionData: subscriptionJson(sub) }));
      await inst.api.call(addr, RequestCode.CHECK_CLIENT_CONFIG, `check ${sub.expressionType} subscription of ${sub.topic}`, {}, body);
    }
  }
}
