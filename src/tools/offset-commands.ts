import { MQClientError, type MessageQueue } from '../net/client/index.js';
import { ResponseCode } from '../net/codes.js';
import { bool, opt, str } from './cli-args.js';
import { front, left } from './format.js';
import { timestampArg } from './message-commands.js';
import { type CommandContext, type SubCommand, withAdmin } from './sub-command.js';

/** mqadmin's offset commands (tools/command/offset). */

export const resetOffsetByTime: SubCommand = {
  name: 'resetOffsetByTime',
  desc: 'Reset consumer offset by timestamp(without client restart).',
  options: [
    opt('g', 'group', true, 'set the consumer group', true),
    opt('t', 'topic', true, 'set the topic', true),
    opt('s', 'timestamp', true, 'set the timestamp[now|currentTimeMillis|yyyy-MM-dd#HH:mm:ss:SSS]', true),
    opt('f', 'force', true, 'set the force rollback by timestamp switch[true|false]'),
    opt('c', 'cplus', false, 'reset c++ client offset'),
  ],
  run: (ctx) => {
    const timeStampStr = str(ctx.opts, 's')!;
    const timestamp = timeStampStr === 'now' ? Date.now() : timestampArg(timeStampStr);
    return resetOffsets(ctx, timestamp, (group, topic, force) => ({
      online: `rollback consumer offset by specified group[${group}], topic[${topic}], force[${force}], timestamp(string)[${timeStampStr}], timestamp(long)[${timestamp}]\n`,
      offline: `rollback consumer offset by specified consumerGroup[${group}], topic[${topic}], force[${force}], timestamp(string)[${timeStampStr}], timestamp(long)[${timestamp}]\n`,
      lastColumn: '#resetOffset',
    }));
  },
};

export const skipAccumulatedMessage: SubCommand = {
  name: 'skipAccumulatedMessage',
  desc: 'Skip all messages that are accumulated (not consumed) currently',
  options: [
    opt('g', 'group', true, 'set the consumer group', true),
    opt('t', 'topic', true, 'set the topic', true),
    opt('f', 'force', true, 'set the force rollback by timestamp switch[true|false]'),
  ],
  // Timestamp -1: every queue's end (SkipAccumulationSubCommand).
  run: (ctx) => resetOffsets(ctx, -1, () => ({ online: '', offline: '', lastColumn: '#rollbackOffset' })),
};

/**
 * Moves a group's offsets on a topic to a time. A running group is reset through the broker,
 * which tells its consumers; a group with no consumer online gets CONSUMER_NOT_ONLINE, and its
 * committed offsets are then moved here (ResetOffsetByTimeCommand falls back to
 * ResetOffsetByTimeOldCommand the same way).
 */
function resetOffsets(ctx: CommandContext, timestamp: number, text: (group: string, topic: string, force: boolean) => { online: string; offline: string; lastColumn: string }): Promise<void> {
  return withAdmin(ctx, async (admin) => {
    const group = str(ctx.opts, 'g')!;
    const topic = str(ctx.opts, 't')!;
    const force = bool(ctx.opts, 'f') ?? true;
    const t = text(group, topic, force);
    let table: [MessageQueue, number][] | null = null;
    try {
      table = await admin.resetOffsetByTimestamp(topic, group, timestamp, force);
    } catch (e) {
      if (!(e instanceof MQClientError && e.responseCode === ResponseCode.CONSUMER_NOT_ONLINE)) throw e;
    }
    if (table) {
      ctx.out(t.online);
      ctx.out(`${left('#brokerName', 40)}  ${left('#queueId', 40)}  ${left('#offset', 40)}\n`);
      for (const [mq, offset] of table) ctx.out(`${left(front(mq.brokerName, 32), 40)}  ${left(mq.queueId, 40)}  ${left(offset, 40)}\n`);
      return;
    }
    const stats = await admin.resetOffsetByTimestampOld(group, topic, timestamp, force);
    ctx.out(t.offline);
    const row = (cols: unknown[]): string => cols.map((c) => left(c, 20)).join('  ') + '\n';
    ctx.out(row(['#brokerName', '#queueId', '#brokerOffset', '#consumerOffset', '#timestampOffset', t.lastColumn]));
    for (const r of stats) ctx.out(row([front(r.brokerName, 32), r.queueId, r.brokerOffset, r.consumerOffset, r.timestampOffset, r.rollbackOffset]));
  });
}
