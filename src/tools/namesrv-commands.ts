import { UsageError, opt, str } from './cli-args.js';
import { left } from './format.js';
import { type SubCommand, withAdmin } from './sub-command.js';

/** mqadmin's NameServer commands (tools/command/namesrv). */

export const updateKvConfig: SubCommand = {
  name: 'updateKvConfig',
  desc: 'Create or update KV config.',
  options: [opt('s', 'namespace', true, 'set the namespace', true), opt('k', 'key', true, 'set the key name', true), opt('v', 'value', true, 'set the key value', true)],
  run: (ctx) =>
    withAdmin(ctx, async (admin) => {
      await admin.putKvConfig(str(ctx.opts, 's')!, str(ctx.opts, 'k')!, str(ctx.opts, 'v')!);
      ctx.out('create or update kv config to namespace success.\n');
    }),
};

export const deleteKvConfig: SubCommand = {
  name: 'deleteKvConfig',
  desc: 'Delete KV config.',
  options: [opt('s', 'namespace', true, 'set the namespace', true), opt('k', 'key', true, 'set the key name', true)],
  run: (ctx) =>
    withAdmin(ctx, async (admin) => {
      await admin.deleteKvConfig(str(ctx.opts, 's')!, str(ctx.opts, 'k')!);
      ctx.out('delete kv config from namespace success.\n');
    }),
};

/** NamesrvUtil.NAMESPACE_ORDER_TOPIC_CONFIG: where a topic's global order conf lives. */
const ORDER_TOPIC_CONFIG = 'ORDER_TOPIC_CONFIG';

export const updateOrderConf: SubCommand = {
  name: 'updateOrderConf',
  desc: 'Create or update or delete order conf',
  options: [
    opt('t', 'topic', true, 'topic name', true),
    opt('v', 'orderConf', true, 'set order conf [eg. brokerName1:num;brokerName2:num]'),
    opt('m', 'method', true, 'option type [eg. put|get|delete', true),
  ],
  run: (ctx) =>
    withAdmin(ctx, async (admin) => {
      const topic = str(ctx.opts, 't')!;
      // Java prints these without a final line break; one per line reads better.
      switch (str(ctx.opts, 'm')) {
        case 'get':
          ctx.out(`get orderConf success. topic=[${topic}], orderConf=[${await admin.getKvConfig(ORDER_TOPIC_CONFIG, topic)}] \n`);
          return;
        case 'put': {
          const conf = str(ctx.opts, 'v') ?? '';
          if (!conf) throw new UsageError('please set orderConf with option -v.');
          await admin.putKvConfig(ORDER_TOPIC_CONFIG, topic, conf);
          ctx.out(`update orderConf success. topic=[${topic}], orderConf=[${conf}]\n`);
          return;
        }
        case 'delete':
          await admin.deleteKvConfig(ORDER_TOPIC_CONFIG, topic);
          ctx.out(`delete orderConf success. topic=[${topic}]\n`);
          return;
        default:
          throw new UsageError('-m must be put, get or delete');
      }
    }),
};

export const getNamesrvConfig: SubCommand = {
  name: 'getNamesrvConfig',
  desc: 'Get configs of name server.',
  options: [],
  run: (ctx) =>
    withAdmin(ctx, async (admin) => {
      for (const [addr, pairs] of await admin.getNamesrvConfig()) {
        ctx.out(`============${addr}============\n`);
        for (const [k, v] of pairs) ctx.out(`${left(k, 50)}=  ${v}\n`);
      }
    }),
};

export const updateNamesrvConfig: SubCommand = {
  name: 'updateNamesrvConfig',
  desc: 'Update configs of name server.',
  options: [opt('k', 'key', true, 'config key', true), opt('v', 'value', true, 'config value', true)],
  run: (ctx) =>
    withAdmin(ctx, async (admin) => {
      const key = str(ctx.opts, 'k')!;
      const value = str(ctx.opts, 'v')!;
      await admin.updateNamesrvConfig({ [key]: value });
      const servers = ctx.namesrvAddr.split(';').map((s) => s.trim()).filter((s) => s !== '');
      ctx.out(`update name server config success![${servers.join(', ')}]\n${key} : ${value}\n`);
    }),
};
