import { MQClientError } from '../net/client/index.js';
import { ResponseCode } from '../net/codes.js';
import { UsageError, bool, opt, str } from './cli-args.js';
import { front, left } from './format.js';
import { timestampArg } from './message-commands.js';
import { type SubCommand, withAdmin } from './sub-command.js';

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
  run: (ctx) =>
    withAdmin(ctx, async (admin) => {
      const group = str(ctx.opts, 'g')!;
      const topic = str(ctx.opts, 't')!;
      const timeStampStr = str(ctx.opts, 's')!;
      const timestamp = timeStampStr === 'now' ? Date.now() : timestampArg(timeStampStr);
      const force = bool(ctx.opts, 'f') ?? true;
      // RocketMQ resets a running group through the broker, which tells each consumer to drop its
      // in-memory offsets (RESET_CONSUMER_CLIENT_OFFSET); this broker does not do that yet, and a
      // running consumer would commit its own offsets over the reset. So only an offline group is
      // reset here, the way Java's tool falls back to for one (ResetOffsetByTimeOldCommand).
      const conn = await admin.examineConsumerConnectionInfo(group).catch((e: unknown) => {
        if (e instanceof MQClientError && (e.responseCode === ResponseCode.CONSUMER_NOT_ONLINE || e.code === 'NO_BROKER')) return null;
        throw e;
      });
      const online = conn?.connectionSet.length ?? 0;
      if (online > 0) throw new Error(`consumer group ${group} has ${online} consumer(s) online, which would commit their own offsets over the reset: stop them, reset, then start them again`);
      const stats = await admin.resetOffsetByTimestampOld(group, topic, timestamp, force);
      ctx.out(`rollback consumer offset by specified consumerGroup[${group}], topic[${topic}], force[${force}], timestamp(string)[${timeStampStr}], timestamp(long)[${timestamp}]\n`);
      const row = (cols: unknown[]): string => cols.map((c) => left(c, 20)).join('  ') + '\n';
      ctx.out(row(['#brokerName', '#queueId', '#brokerOffset', '#consumerOffset', '#timestampOffset', '#resetOffset']));
      for (const r of stats) ctx.out(row([front(r.brokerName, 32), r.queueId, r.brokerOffset, r.consumerOffset, r.timestampOffset, r.rollbackOffset]));
    }),
};
