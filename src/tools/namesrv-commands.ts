import { opt, str } from './cli-args.js';
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
