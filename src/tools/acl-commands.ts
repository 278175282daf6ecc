import type { MQAdmin, PlainAccessConfig } from '../net/client/index.js';
import { UsageError, bool, opt, str } from './cli-args.js';
import { formatDateTime, left } from './format.js';
import { NO_MASTER, clusterBrokers } from './broker-commands.js';
import { type CommandContext, type SubCommand, withAdmin } from './sub-command.js';

/** mqadmin's ACL commands (tools/command/acl), for brokers with aclEnable=true. */

const TARGET = [opt('b', 'brokerAddr', true, 'update which broker'), opt('c', 'clusterName', true, 'update which cluster')];

/**
 * `-b` names one broker; `-c` a cluster's masters, and its slaves too when `withSlaves` (a slave
 * checks requests against its own files, so account changes go to both, as Java's tool does).
 */
async function targets(ctx: CommandContext, admin: MQAdmin, withSlaves: boolean): Promise<string[]> {
  const brokerAddr = str(ctx.opts, 'b');
  if (brokerAddr) return [brokerAddr];
  const clusterName = str(ctx.opts, 'c');
  if (!clusterName) throw new UsageError('one of -b <brokerAddr> or -c <clusterName> is required');
  const brokers = await clusterBrokers(admin, clusterName);
  return brokers.flatMap((b) => [b.master, ...(withSlaves ? b.slaves : [])]).filter((a) => a !== NO_MASTER);
}

/** Runs `fn` on every target; a broker that fails is reported and the others still get it. */
async function onEach(ctx: CommandContext, withSlaves: boolean, what: string, fn: (admin: MQAdmin, addr: string) => Promise<void>): Promise<void> {
  await withAdmin(ctx, async (admin) => {
    let failed: unknown;
    for (const addr of await targets(ctx, admin, withSlaves)) {
      try {
        await fn(admin, addr);
      } catch (e) {
        failed = e;
        ctx.logger.warn('%s on %s failed: %s', what, addr, (e as Error).message);
      }
    }
    if (failed) throw failed;
  });
}

const list = (v: string | undefined): string[] | undefined => (v === undefined ? undefined : v.split(',').map((s) => s.trim()).filter((s) => s !== ''));

export const updateAclConfig: SubCommand = {
  name: 'updateAclConfig',
  desc: 'Update acl config yaml file in broker',
  options: [
    ...TARGET,
    opt('a', 'accessKey', true, 'set accessKey in acl config file', true),
    opt('s', 'secretKey', true, 'set secretKey in acl config file', true),
    opt('w', 'whiteRemoteAddress', true, 'set white ip Address for account in acl config file'),
    opt('i', 'defaultTopicPerm', true, 'set default topicPerm in acl config file'),
    opt('u', 'defaultGroupPerm', true, 'set default GroupPerm in acl config file'),
    opt('t', 'topicPerms', true, 'set topicPerms list,eg: topicA=DENY,topicD=SUB'),
    opt('g', 'groupPerms', true, 'set groupPerms list,eg: groupD=DENY,groupD=SUB'),
    opt('m', 'admin', true, 'set admin flag in acl config file'),
  ],
  run: (ctx) => {
    const config: PlainAccessConfig = {
      accessKey: str(ctx.opts, 'a')!,
      secretKey: str(ctx.opts, 's')!,
      whiteRemoteAddress: str(ctx.opts, 'w'),
      defaultTopicPerm: str(ctx.opts, 'i'),
      defaultGroupPerm: str(ctx.opts, 'u'),
      topicPerms: list(str(ctx.opts, 't')),
      groupPerms: list(str(ctx.opts, 'g')),
      admin: bool(ctx.opts, 'm') ?? false,
    };
    return onEach(ctx, true, 'update acl config', async (admin, addr) => {
      await admin.acl.updateAccessConfig(addr, config);
      ctx.out(`create or update plain access config to ${addr} success.\n`);
    });
  },
};

export const deleteAccessConfig: SubCommand = {
  name: 'deleteAccessConfig',
  desc: 'Delete Acl Config Account in broker',
  options: [...TARGET, opt('a', 'accessKey', true, 'set accessKey in acl config file', true)],
  run: (ctx) => {
    const accessKey = str(ctx.opts, 'a')!;
    return onEach(ctx, false, 'delete acl config', async (admin, addr) => {
      await admin.acl.deleteAccessConfig(addr, accessKey);
      ctx.out(`delete plain access config account to ${addr} success.\n`);
    });
  },
};

export const updateGlobalWhiteAddr: SubCommand = {
  name: 'updateGlobalWhiteAddr',
  desc: 'Update global white address for acl Config File in broker',
  options: [...TARGET, opt('g', 'globalWhiteRemoteAddresses', true, 'set globalWhiteRemoteAddress list,eg: 10.10.103.*,192.168.0.*', true)],
  run: (ctx) => {
    const addrs = list(str(ctx.opts, 'g')) ?? [];
    return onEach(ctx, true, 'update global white addresses', async (admin, addr) => {
      await admin.acl.updateGlobalWhiteAddrs(addr, addrs);
      ctx.out(`update global white remote addresses to ${addr} success.\n`);
    });
  },
};

export const clusterAclConfigVersion: SubCommand = {
  name: 'clusterAclConfigVersion',
  desc: 'List all of acl config version information in cluster',
  options: TARGET,
  run: (ctx) => {
    ctx.out(`${left('#Cluster Name', 20)}  ${left('#Broker Name', 20)}  ${left('#Broker Addr', 22)}  ${left('#AclFilePath', 40)}  ${left('#AclConfigVersionNum', 20)}  #AclLastUpdateTime\n`);
    return onEach(ctx, true, 'acl version', async (admin, addr) => {
      const info = await admin.acl.versionInfo(addr);
      const files = Object.keys(info.allAclFileVersion).length > 0 ? info.allAclFileVersion : { '': info.version };
      for (const [path, v] of Object.entries(files)) {
        ctx.out(`${left(info.clusterName, 20)}  ${left(info.brokerName, 20)}  ${left(info.brokerAddr, 22)}  ${left(path, 40)}  ${left(v.counter, 20)}  ${formatDateTime(v.timestamp)}\n`);
      }
    });
  },
};

export const getAclConfig: SubCommand = {
  name: 'getAccessConfigSubCommand',
  aliases: ['getAclConfig'],
  desc: 'List all of acl config information in cluster',
  options: TARGET,
  run: (ctx) =>
    onEach(ctx, true, 'acl config', async (admin, addr) => {
      const c = await admin.acl.config(addr);
      ctx.out(`\n${left('globalWhiteRemoteAddresses', 26)}: ${c.globalWhiteAddrs.join(',')}\n${left('accounts', 26)}:\n`);
      for (const a of c.plainAccessConfigs) {
        ctx.out('\n');
        for (const k of ['accessKey', 'secretKey', 'whiteRemoteAddress', 'admin', 'defaultTopicPerm', 'defaultGroupPerm', 'topicPerms', 'groupPerms'] as const) {
          const v = a[k];
          ctx.out(`${left(k, 26)}: ${Array.isArray(v) ? v.join(',') : (v ?? '')}\n`);
        }
      }
    }),
};
