import { MQAdmin, PullConsumer, PushConsumer, RETRY_GROUP_TOPIC_PREFIX, formatMessageQueue, type ConsumerRunningInfo, type MessageQueue } from '../net/client/index.js';
import { parseFastjson } from '../net/fastjson.js';
import { int, opt } from './cli-args.js';
import { analyzeProcessQueue, sameSubscription } from './consumer-status.js';
import { humanTime } from './format.js';
import type { CommandContext, SubCommand } from './sub-command.js';

/**
 * `mqadmin startMonitoring` (RocketMQ's MonitorService with its DefaultMonitorListener): every
 * round, each consumer group (found by its %RETRY% topic) is reported with its backlog per topic
 * and any trouble in its members' running info; between rounds every OFFSET_MOVED_EVENT a broker
 * stores (a group's offset corrected past messages it never consumed) is reported as it comes.
 * Java logs these lines; they are printed here, each after its time. It runs until stopped;
 * `-r N` (ours) stops after N rounds, for scripts.
 */
export const startMonitoring: SubCommand = {
  name: 'startMonitoring',
  desc: 'Start Monitoring',
  options: [
    opt('i', 'interval', true, 'seconds between rounds (ours) | default 20'),
    opt('r', 'rounds', true, 'rounds to run (ours) | default until stopped'),
  ],
  async run(ctx) {
    const intervalMs = (int(ctx.opts, 'i') ?? 20) * 1000;
    const rounds = int(ctx.opts, 'r') ?? Infinity;
    const common = { namesrvAddr: ctx.namesrvAddr, logger: ctx.logger, ...ctx.credentials };
    const admin = new MQAdmin({ ...common, instanceName: `${Date.now()}-monitor` });
    const puller = new PullConsumer({ ...common, instanceName: `${Date.now()}-monitor` });
    const events = new PushConsumer({ ...common, consumerGroup: '__MONITOR_CONSUMER', instanceName: `${Date.now()}-monitor`, consumeFromWhere: 'CONSUME_FROM_LAST_OFFSET' });
    const report = (line: string) => ctx.out(`${humanTime(Date.now())} ${line}\n`);
    events.subscribe('OFFSET_MOVED_EVENT', '*').registerMessageListener((msgs) => {
      for (const m of msgs) report(`reportDeleteMsgsEvent: ${deleteMsgsEvent(m.body.toString('utf8'), m.storeTimestamp)}`);
    });
    await Promise.all([admin.start(), puller.start()]);
    try {
      await events.start().catch((e: Error) => ctx.logger.warn('offset moved events are not followed: %s', e.message));
      for (let round = 0; round < rounds; round++) {
        if (round > 0) await new Promise((r) => setTimeout(r, intervalMs));
        await monitorRound(ctx, admin, puller, report);
      }
    } finally {
      await Promise.allSettled([events.shutdown(), puller.shutdown(), admin.shutdown()]);
    }
  },
};

/** MonitorService.doMonitorWork: every group's backlog and running info. */
async function monitorRound(ctx: CommandContext, admin: MQAdmin, puller: PullConsumer, report: (line: string) => void): Promise<void> {
  const groups = (await admin.fetchAllTopicList()).filter((t) => t.startsWith(RETRY_GROUP_TOPIC_PREFIX)).map((t) => t.slice(RETRY_GROUP_TOPIC_PREFIX.length));
  for (const group of groups.sort()) {
    try {
      await reportUndoneMsgs(admin, puller, group, report);
    } catch (e) {
      ctx.logger.warn('consume stats of %s: %s', group, (e as Error).message);
    }
    try {
      await reportRunningInfo(admin, group, report);
    } catch (e) {
      ctx.logger.info('running info of %s: %s', group, (e as Error).message);
    }
  }
}

/** UndoneMsgs per topic: the backlog, its largest queue, and the age of the oldest unconsumed message. */
async function reportUndoneMsgs(admin: MQAdmin, puller: PullConsumer, group: string, report: (line: string) => void): Promise<void> {
  const byTopic = new Map<string, { total: number; single: number; delay: number }>();
  for (const o of (await admin.examineConsumeStats(group)).offsets) {
    const t = byTopic.get(o.mq.topic) ?? { total: 0, single: 0, delay: 0 };
    byTopic.set(o.mq.topic, t);
    const diff = o.brokerOffset - o.consumerOffset;
    t.total += diff;
    t.single = Math.max(t.single, diff);
    if (diff > 0) t.delay = Math.max(t.delay, await oldestUnconsumedAge(puller, o.mq, o.consumerOffset));
  }
  for (const [topic, t] of byTopic) {
    report(`reportUndoneMsgs: UndoneMsgs [consumerGroup=${group}, topic=${topic}, undoneMsgsTotal=${t.total}, undoneMsgsSingleMQ=${t.single}, undoneMsgsDelayTimeMills=${t.delay}]`);
  }
}

async function oldestUnconsumedAge(puller: PullConsumer, mq: MessageQueue, offset: number): Promise<number> {
  const r = await puller.pull(mq, '*', offset, 1).catch(() => null);
  const m = r?.pullStatus === 'FOUND' ? r.msgFoundList[0] : undefined;
  return m ? Math.max(0, Date.now() - m.storeTimestamp) : 0;
}

/** DefaultMonitorListener.reportConsumerRunningInfo: members that disagree, queues that are stuck. */
async function reportRunningInfo(admin: MQAdmin, group: string, report: (line: string) => void): Promise<void> {
  const table = new Map<string, ConsumerRunningInfo>();
  for (const c of (await admin.examineConsumerConnectionInfo(group)).connectionSet) {
    table.set(c.clientId, await admin.consumerRunningInfo(group, c.clientId));
  }
  if (table.size === 0) return;
  if (!sameSubscription(table)) report(`reportConsumerRunningInfo: ConsumerGroup ${group}, Subscription different`);
  for (const [clientId, info] of table) {
    for (const line of analyzeProcessQueue(clientId, info).split('\n')) if (line) report(`reportConsumerRunningInfo: ConsumerGroup ${group}, ${line}`);
  }
}

/** DeleteMsgsEvent#toString of an OffsetMovedEvent body. */
function deleteMsgsEvent(body: string, eventTimestamp: number): string {
  let e: { consumerGroup?: string; messageQueue?: MessageQueue; offsetRequest?: number; offsetNew?: number } = {};
  try {
    e = (parseFastjson(body) ?? {}) as typeof e;
  } catch {
    return `DeleteMsgsEvent [offsetMovedEvent=${body}, eventTimestamp=${eventTimestamp}]`;
  }
  const mq = e.messageQueue ? formatMessageQueue(e.messageQueue) : 'null';
  return `DeleteMsgsEvent [offsetMovedEvent=OffsetMovedEvent [consumerGroup=${e.consumerGroup}, messageQueue=${mq}, offsetRequest=${e.offsetRequest}, offsetNew=${e.offsetNew}], eventTimestamp=${eventTimestamp}]`;
}
