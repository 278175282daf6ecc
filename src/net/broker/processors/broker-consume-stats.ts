import { RequestCode } from '../../codes.js';
import type { BrokerContext } from '../broker-context.js';
import { optBool } from '../request-header.js';
import { STATS } from '../stats-manager.js';
import { guarded, jsonBody, objectKeyedMap, success, type ProcessorTable } from './processor-support.js';
import { queueOffsets } from './runtime-info.js';

/**
 * GET_BROKER_CONSUME_STATS (317, `mqadmin brokerConsumeStats`): every subscription group's
 * ConsumeStats on this broker, topic by topic (AdminBrokerProcessor.fetchAllConsumeStatsInBroker):
 * with `isOrder` only ordered topics; a topic an online group no longer subscribes is left out;
 * plus the lag summed over everything (totalDiff).
 */
export function brokerConsumeStatsProcessors(ctx: BrokerContext): ProcessorTable {
  return [
    [RequestCode.GET_BROKER_CONSUME_STATS, guarded(ctx.logger, 'broker consume stats', (req) => {
      const isOrder = optBool(req.extFields, 'isOrder');
      let totalDiff = 0;
      const list: string[] = [];
      for (const { groupName: group } of ctx.groups.groups()) {
        const stats: string[] = [];
        for (const topic of ctx.offsets.topicsOfGroup(group)) {
          const tc = ctx.topics.get(topic);
          if (!tc || (isOrder && !tc.order)) continue;
          if (!ctx.consumers.subscription(group, topic) && (ctx.consumers.group(group)?.subscriptions.size ?? 0) > 0) continue;
          const { entries, diff } = queueOffsets(ctx, group, topic, tc.writeQueueNums);
          totalDiff += diff;
          const tps = ctx.brokerStats.view(STATS.GROUP_GET_NUMS, `${topic}@${group}`)?.statsMinute.tps ?? 0;
          stats.push(`{"consumeTps":${tps.toFixed(1)},"offsetTable":${objectKeyedMap(entries)}}`);
        }
        list.push(`{${JSON.stringify(group)}:[${stats.join(',')}]}`);
      }
      return success(req, undefined, jsonBody(`{"brokerAddr":${JSON.stringify(ctx.brokerAddr)},"consumeStatsList":[${list.join(',')}],"totalDiff":${totalDiff}}`));
    })],
  ];
}
