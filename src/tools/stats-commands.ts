import { DLQ_GROUP_TOPIC_PREFIX, MASTER_ID, MQAdmin, RETRY_GROUP_TOPIC_PREFIX, type BrokerStatsData } from '../net/client/index.js';
import { opt, str } from './cli-args.js';
import { fixed, front, left, right } from './format.js';
import { type SubCommand, withAdmin } from './sub-command.js';

/** mqadmin's statsAll (tools/command/stats): per topic and consumer group, today's traffic and the backlog. */
export const statsAll: SubCommand = {
  name: 'statsAll',
  desc: 'Topic and Consumer tps stats',
  options: [opt('a', 'activeTopic', false, 'print active topic only'), opt('t', 'topic', true, 'print select topic only')],
  run: (ctx) =>
    withAdmin(ctx, async (admin) => {
      const active = ctx.opts.has('a');
      const only = str(ctx.opts, 't');
      ctx.out(`${left('#Topic', 32)}  ${left('#Consumer Group', 32)} ${right('#Accumulation', 12)} ${right('#InTPS', 11)} ${right('#OutTPS', 11)} ${right('#InMsg24Hour', 14)} ${right('#OutMsg24Hour', 14)}\n`);
      for (const topic of await admin.fetchAllTopicList()) {
        if (topic.startsWith(RETRY_GROUP_TOPIC_PREFIX) || topic.startsWith(DLQ_GROUP_TOPIC_PREFIX)) continue;
        if (only && topic !== only) continue;
        // As Java's tool: a topic whose numbers cannot be had is left out, the others still print.
        await topicLines(admin, topic, active).then((lines) => lines.forEach((l) => ctx.out(l)), () => undefined);
      }
    }),
};

async function topicLines(admin: MQAdmin, topic: string, active: boolean): Promise<string[]> {
  const route = await admin.examineTopicRouteInfo(topic);
  const groups = await admin.queryTopicConsumeByWho(topic);
  const masters = route.brokerDatas.map((bd) => bd.brokerAddrs.get(MASTER_ID)).filter((a): a is string => a !== undefined);
  const traffic = async (statsName: string, key: string) => {
    let tps = 0;
    let today = 0;
    for (const addr of masters) {
      const data = await admin.viewBrokerStatsData(addr, statsName, key).catch(() => null);
      if (!data) continue;
      tps += data.statsMinute.tps;
      today += sum24Hours(data);
    }
    return { tps, today };
  };
  const inbound = await traffic('TOPIC_PUT_NUMS', topic);
  const name = left(front(topic, 64), 64);
  if (groups.length === 0) {
    if (active && inbound.today <= 0) return [];
    return [`${name}  ${left('', 32)} ${right(0, 12)} ${right(fixed(inbound.tps, 2), 11)} ${right('', 11)} ${right(inbound.today, 14)} ${right('NO_CONSUMER', 14)}\n`];
  }
  const lines: string[] = [];
  for (const group of groups) {
    const outbound = await traffic('GROUP_GET_NUMS', `${topic}@${group}`);
    let backlog = 0;
    try {
      for (const p of (await admin.examineConsumeStats(group, topic)).offsets) backlog += p.brokerOffset - p.consumerOffset;
    } catch {
      // no stats: 0, as Java's tool prints
    }
    if (active && inbound.today <= 0 && outbound.today <= 0) continue;
    lines.push(`${name}  ${left(front(group, 64), 64)} ${right(Math.max(0, backlog), 12)} ${right(fixed(inbound.tps, 2), 11)} ${right(fixed(outbound.tps, 2), 11)} ${right(inbound.today, 14)} ${right(outbound.today, 14)}\n`);
  }
  return lines;
}

/** The day's sum, or the hour's, or the minute's, whichever is the widest not zero (Java's compute24HourSum). */
function sum24Hours(d: BrokerStatsData): number {
  return d.statsDay.sum || d.statsHour.sum || d.statsMinute.sum || 0;
}
