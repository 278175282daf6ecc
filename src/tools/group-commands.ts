import { DLQ_GROUP_TOPIC_PREFIX, RETRY_GROUP_TOPIC_PREFIX, type SubscriptionGroupInput } from '../net/client/index.js';
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

export const deleteSubGroup: SubCommand = {
  name: 'deleteSubGroup',
  desc: 'Delete subscription group from broker.',
  options: [
    opt('b', 'brokerAddr', true, 'delete subscription group from which broker'),
    opt('c', 'clusterName', true, 'delete subscription group from which cluster'),
    opt('g', 'groupName', true, 'subscription group name', true),
    opt('r', 'removeOffset', true, 'remove offset'),
  ],
  async run(ctx: CommandContext) {
    const brokerAddr = str(ctx.opts, 'b');
    const clusterName = str(ctx.opts, 'c');
    const group = str(ctx.opts, 'g')!;
    const removeOffset = bool(ctx.opts, 'r') ?? false;
    if (!brokerAddr && !clusterName) throw new UsageError('one of -b <brokerAddr> or -c <clusterName> is required');
    await withAdmin(ctx, async (admin) => {
      if (brokerAddr) {
        await admin.deleteSubscriptionGroup({ brokerAddr }, group, removeOffset);
        ctx.out(`delete subscription group [${group}] from broker [${brokerAddr}] success.\n`);
        return;
      }
      for (const addr of await admin.deleteSubscriptionGroup({ clusterName }, group, removeOffset)) {
        ctx.out(`delete subscription group [${group}] from broker [${addr}] in cluster [${clusterName}] success.\n`);
      }
      // With a cluster, Java's tool also deletes the group's retry and dead-letter topics; a group
      // that never consumed has neither, and their absence is not a failure of the deletion.
      for (const topic of [RETRY_GROUP_TOPIC_PREFIX + group, DLQ_GROUP_TOPIC_PREFIX + group]) {
        try {
          await admin.deleteTopic(topic, clusterName!);
          ctx.out(`delete topic [${topic}] from cluster [${clusterName}] success.\n`);
          ctx.out(`delete topic [${topic}] from NameServer success.\n`);
        } catch (e) {
          ctx.logger.warn('delete topic %s: %s', topic, (e as Error).message);
        }
      }
    });
  },
};
