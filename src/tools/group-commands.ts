import type { SubscriptionGroupInput } from '../net/client/index.js';
import { UsageError, bool, int, opt, str } from './cli-args.js';
import { type CommandContext, type SubCommand, withAdmin } from './sub-command.js';

/** mqadmin's subscription group commands (tools/command/consumer). */

function groupConfigString(g: SubscriptionGroupInput): string {
  return (
    `SubscriptionGroupConfig [groupName=${g.groupName}, consumeEnable=${g.consumeEnable}, consumeFromMinEnable=${g.consumeFromMinEnable}, ` +
    `consumeBroadcastEnable=${g.consumeBroadcastEnable}, retryQueueNums=${g.retryQueueNums}, retryMaxTimes=${g.retryMaxTimes}, brokerId=${g.brokerId}, ` +
    `whichBrokerWhenConsumeSlowly=${g.whichBrokerWhenConsumeSlowly}, notifyConsumerIdsChangedEnable=${g.notifyConsumerIdsChangedEnable}]`
  );
}

export const updateSubGroup: SubCommand = {
  name: 'updateSubGroup',
  desc: 'Update or create subscription group',
  options: [
    opt('b', 'brokerAddr', true, 'create subscription group to which broker'),
    opt('c', 'clusterName', true, 'create subscription group to which cluster'),
    opt('g', 'groupName', true, 'consumer group name', true),
    opt('s', 'consumeEnable', true, 'consume enable'),
    opt('m', 'consumeFromMinEnable', true, 'from min offset'),
    opt('d', 'consumeBroadcastEnable', true, 'broadcast'),
    opt('q', 'retryQueueNums', true, 'retry queue nums'),
    opt('r', 'retryMaxTimes', true, 'retry max times'),
    opt('i', 'brokerId', true, 'consumer from which broker id'),
    opt('w', 'whichBrokerWhenConsumeSlowly', true, 'which broker id when consume slowly'),
    opt('a', 'notifyConsumerIdsChanged', true, 'notify consumerId changed'),
  ],
  async run(ctx: CommandContext) {
    const brokerAddr = str(ctx.opts, 'b');
    const clusterName = str(ctx.opts, 'c');
    if (!brokerAddr && !clusterName) throw new UsageError('one of -b <brokerAddr> or -c <clusterName> is required');
    // The tool's starting point, as Java's: SubscriptionGroupConfig's defaults with broadcast and
    // consume-from-min off. The broker replaces the group's whole config with it.
    const cfg: SubscriptionGroupInput = {
      groupName: str(ctx.opts, 'g')!,
      consumeEnable: bool(ctx.opts, 's') ?? true,
      consumeFromMinEnable: bool(ctx.opts, 'm') ?? false,
      consumeBroadcastEnable: bool(ctx.opts, 'd') ?? false,
      retryQueueNums: int(ctx.opts, 'q') ?? 1,
      retryMaxTimes: int(ctx.opts, 'r') ?? 16,
      brokerId: int(ctx.opts, 'i') ?? 0,
      whichBrokerWhenConsumeSlowly: int(ctx.opts, 'w') ?? 1,
      notifyConsumerIdsChangedEnable: bool(ctx.opts, 'a') ?? true,
    };
    await withAdmin(ctx, async (admin) => {
      const addrs = await admin.createSubscriptionGroup(brokerAddr ? { brokerAddr } : { clusterName: clusterName! }, cfg);
      for (const addr of addrs) ctx.out(`create subscription group to ${addr} success.\n`);
      ctx.out(`${groupConfigString(cfg)}\n`);
    });
  },
};
