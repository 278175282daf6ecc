import { opt, str } from './cli-args.js';
import { left, versionDesc } from './format.js';
import { type SubCommand, withAdmin } from './sub-command.js';

/** mqadmin's connection commands (tools/command/connection). */

export const consumerConnection: SubCommand = {
  name: 'consumerConnection',
  desc: "Query consumer's socket connection, client version and subscription",
  options: [opt('g', 'consumerGroup', true, 'consumer group name', true)],
  run: (ctx) =>
    withAdmin(ctx, async (admin) => {
      const cc = await admin.examineConsumerConnectionInfo(str(ctx.opts, 'g')!);
      let i = 1;
      for (const c of cc.connectionSet) {
        ctx.out(`${String(i++).padStart(3, '0')}  ${left(c.clientId, 32)} ${left(c.clientAddr, 22)} ${left(c.language, 8)} ${versionDesc(c.version)}\n`);
      }
      // Java's format has no line break after this heading, so the first subscription follows on
      // its line; scripts written against RocketMQ's tool expect exactly that.
      ctx.out('\nBelow is subscription:');
      i = 1;
      for (const sd of Object.values(cc.subscriptionTable ?? {})) {
        ctx.out(`${String(i++).padStart(3, '0')}  Topic: ${left(sd.topic, 40)} SubExpression: ${sd.subString}\n`);
      }
      ctx.out(`ConsumeType: ${cc.consumeType ?? ''}\nMessageModel: ${cc.messageModel ?? ''}\nConsumeFromWhere: ${cc.consumeFromWhere ?? ''}\n`);
    }),
};

export const producerConnection: SubCommand = {
  name: 'producerConnection',
  desc: "Query producer's socket connection and client version",
  options: [opt('g', 'producerGroup', true, 'producer group name', true), opt('t', 'topic', true, 'topic name', true)],
  run: (ctx) =>
    withAdmin(ctx, async (admin) => {
      const conns = await admin.examineProducerConnectionInfo(str(ctx.opts, 'g')!, str(ctx.opts, 't')!);
      let i = 1;
      for (const c of conns) ctx.out(`${String(i++).padStart(4, '0')}  ${left(c.clientId, 32)} ${left(c.clientAddr, 22)} ${left(c.language, 8)} ${versionDesc(c.version)}\n`);
    }),
};
