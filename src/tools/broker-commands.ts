import type { MQAdmin } from '../net/client/index.js';
import { UsageError, opt, str } from './cli-args.js';
import { left } from './format.js';
import { type CommandContext, type SubCommand, withAdmin } from './sub-command.js';

/** mqadmin's broker commands (tools/command/broker). */

/** Every broker address of a cluster, masters and slaves (CommandUtil.fetchMasterAndSlaveAddrByClusterName), by name then id. */
async function clusterBrokerAddrs(admin: MQAdmin, clusterName: string): Promise<string[]> {
  const info = await admin.examineBrokerClusterInfo();
  const names = info.clusterAddrTable.get(clusterName);
  // Java prints an error line and does nothing; a script is better told by the exit status.
  if (!names) throw new Error(`cluster ${clusterName} not found: make sure the specified clusterName exists or the name server connected to is correct`);
  const addrs: string[] = [];
  for (const name of [...names].sort()) {
    const bd = info.brokerAddrTable.get(name);
    if (bd) for (const [, addr] of [...bd.brokerAddrs].sort((a, b) => a[0] - b[0])) addrs.push(addr);
  }
  return addrs;
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
      for (const addr of await clusterBrokerAddrs(admin, clusterName)) {
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
