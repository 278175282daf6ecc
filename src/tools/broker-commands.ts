import { compareMessageQueue, type MQAdmin } from '../net/client/index.js';
import { UsageError, int, opt, str } from './cli-args.js';
import { formatDateTime, front, left } from './format.js';
import { type CommandContext, type SubCommand, withAdmin } from './sub-command.js';

/** mqadmin's broker commands (tools/command/broker). */

/** Java's CommandUtil.NO_MASTER_PLACEHOLDER: a broker name whose master is not registered. */
export const NO_MASTER = 'NO_MASTER';

/**
 * The brokers of a cluster by name, each as its master and slaves (CommandUtil's
 * fetchMasterAndSlaveDistinguish), names sorted, slaves by id.
 */
export async function clusterBrokers(admin: MQAdmin, clusterName: string): Promise<{ master: string; slaves: string[] }[]> {
  const info = await admin.examineBrokerClusterInfo();
  const names = info.clusterAddrTable.get(clusterName);
  // Java prints an error line and does nothing; a script is better told by the exit status.
  if (!names) throw new Error(`cluster ${clusterName} not found: make sure the specified clusterName exists or the name server connected to is correct`);
  const out: { master: string; slaves: string[] }[] = [];
  for (const name of [...names].sort()) {
    const bd = info.brokerAddrTable.get(name);
    if (!bd) continue;
    const ids = [...bd.brokerAddrs].sort((a, b) => a[0] - b[0]);
    out.push({ master: bd.brokerAddrs.get(0) ?? NO_MASTER, slaves: ids.filter(([id]) => id !== 0).map(([, addr]) => addr) });
  }
  return out;
}

/** One `key: value` line per runtime statistic, keys in Java's TreeMap (UTF-16) order. */
async function printRuntimeStats(ctx: CommandContext, admin: MQAdmin, brokerAddr: string, withAddr: boolean): Promise<void> {
  const table = await admin.brokerRuntimeInfo(brokerAddr);
  const keys = Object.keys(table).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  for (const k of keys) ctx.out(withAddr ? `${left(brokerAddr, 24)} ${left(k, 32)}: ${table[k]}\n` : `${left(k, 32)}: ${table[k]}\n`);
}

export const brokerStatus: SubCommand = {
  name: 'brokerStatus',
  desc: 'Fetch broker runtime status data',
  options: [opt('b', 'brokerAddr', true, 'Broker address'), opt('c', 'clusterName', true, 'which cluster')],
  run: (ctx) =>
    withAdmin(ctx, async (admin) => {
      const brokerAddr = str(ctx.opts, 'b');
      const clusterName = str(ctx.opts, 'c');
      if (brokerAddr) return printRuntimeStats(ctx, admin, brokerAddr, false);
      if (!clusterName) throw new UsageError('one of -b <brokerAddr> or -c <clusterName> is required');
      // As Java's tool: a broker that does not answer is reported and the others are still printed.
      let failed: unknown = null;
      const addrs = (await clusterBrokers(admin, clusterName)).flatMap((b) => [b.master, ...b.slaves]).filter((a) => a !== NO_MASTER);
      for (const addr of addrs) {
        try {
          await printRuntimeStats(ctx, admin, addr, true);
        } catch (e) {
          failed = e;
          ctx.logger.warn('runtime info of %s: %s', addr, (e as Error).message);
        }
      }
      if (failed) throw failed;
    }),
};

/** The settings of one broker as `key=  value` lines under `header` (GetBrokerConfigCommand.getAndPrint). */
async function printConfig(ctx: CommandContext, admin: MQAdmin, header: string, addr: string): Promise<void> {
  ctx.out(header);
  if (addr === NO_MASTER) return;
  for (const [k, v] of await admin.brokerConfig(addr)) ctx.out(`${left(k, 50)}=  ${v}\n`);
  ctx.out('\n');
}

export const getBrokerConfig: SubCommand = {
  name: 'getBrokerConfig',
  desc: 'Get broker config by cluster or special broker.',
  options: [opt('b', 'brokerAddr', true, 'get which broker'), opt('c', 'clusterName', true, 'get which cluster')],
  run: (ctx) =>
    withAdmin(ctx, async (admin) => {
      const brokerAddr = str(ctx.opts, 'b');
      const clusterName = str(ctx.opts, 'c');
      if (brokerAddr) return printConfig(ctx, admin, `============${brokerAddr}============\n`, brokerAddr);
      if (!clusterName) throw new UsageError('one of -b <brokerAddr> or -c <clusterName> is required');
      for (const { master, slaves } of await clusterBrokers(admin, clusterName)) {
        await printConfig(ctx, admin, `============Master: ${master}============\n`, master);
        for (const slave of slaves) await printConfig(ctx, admin, `============My Master: ${master}=====Slave: ${slave}============\n`, slave);
      }
    }),
};

export const updateBrokerConfig: SubCommand = {
  name: 'updateBrokerConfig',
  desc: 'Update broker config by special broker or all brokers in cluster.',
  options: [
    opt('b', 'brokerAddr', true, 'update which broker'),
    opt('c', 'clusterName', true, 'update which cluster'),
    opt('k', 'key', true, 'config key', true),
    opt('v', 'value', true, 'config value', true),
  ],
  run: (ctx) =>
    withAdmin(ctx, async (admin) => {
      const props = { [str(ctx.opts, 'k')!]: str(ctx.opts, 'v')! };
      const brokerAddr = str(ctx.opts, 'b');
      const clusterName = str(ctx.opts, 'c');
      if (brokerAddr) {
        await admin.updateBrokerConfig(brokerAddr, props);
        ctx.out(`update broker config success, ${brokerAddr}\n`);
        return;
      }
      if (!clusterName) throw new UsageError('one of -b <brokerAddr> or -c <clusterName> is required');
      // Masters only, as Java's tool: a slave takes its settings from its own file.
      let failed: unknown;
      for (const { master } of await clusterBrokers(admin, clusterName)) {
        if (master === NO_MASTER) continue;
        try {
          await admin.updateBrokerConfig(master, props);
          ctx.out(`update broker config success, ${master}\n`);
        } catch (e) {
          failed = e;
          ctx.logger.warn("update broker config of %s failed: %s", master, (e as Error).message);
        }
      }
      if (failed) throw failed;
    }),
};

export const brokerConsumeStats: SubCommand = {
  name: 'brokerConsumeStats',
  desc: 'Fetch broker consume stats data',
  options: [
    opt('b', 'brokerAddr', true, 'Broker address', true),
    opt('t', 'timeoutMillis', true, 'request timeout Millis'),
    opt('l', 'level', true, 'threshold of print diff'),
    opt('o', 'order', true, 'order topic'),
  ],
  run: (ctx) =>
    withAdmin(ctx, async (admin) => {
      const level = int(ctx.opts, 'l') ?? 0;
      const stats = await admin.fetchConsumeStatsInBroker(str(ctx.opts, 'b')!, str(ctx.opts, 'o') === 'true', int(ctx.opts, 't') ?? 50_000);
      const row = (...c: unknown[]): string => `${left(c[0], 32)}  ${left(c[1], 32)}  ${left(c[2], 32)}  ${left(c[3], 4)}  ${left(c[4], 20)}  ${left(c[5], 20)}  ${left(c[6], 20)} ${c[7]}\n`;
      ctx.out(row('#Topic', '#Group', '#Broker Name', '#QID', '#Broker Offset', '#Consumer Offset', '#Diff', '#LastTime'));
      for (const { group, stats: list } of stats.groups) {
        for (const cs of list) {
          for (const [mq, o] of [...cs.offsets].sort((a, b) => compareMessageQueue(a[0], b[0]))) {
            const diff = o.brokerOffset - o.consumerOffset;
            // As Java's tool: queues below the level, or never consumed (no last time), are not listed.
            if (diff < level || !(o.lastTimestamp > 0)) continue;
            ctx.out(row(front(mq.topic, 32), group, front(mq.brokerName, 32), mq.queueId, o.brokerOffset, o.consumerOffset, diff, formatDateTime(o.lastTimestamp)));
          }
        }
      }
      ctx.out(`\nDiff Total: ${stats.totalDiff}\n`);
    }),
};
