import { MQAdmin, Message, Producer, PullConsumer, allocateAveragely, compareMessageQueue, formatMessageQueue, type MessageExt, type MessageQueue } from '../net/client/index.js';
import { UsageError, int, opt, str } from './cli-args.js';
import { fixed, left, messageExtString } from './format.js';
import type { CommandContext, SubCommand } from './sub-command.js';
import { timestampArg } from './message-commands.js';

/**
 * mqadmin's probing commands: sendMsgStatus and checkMsgSendRT (send test messages, print each
 * round trip), printMsg and printMsgByQueue (messages of a topic or queue in a time range) and
 * allocateMQ (how the average strategy would split a topic's queues among given clients).
 */

async function withProducer<T>(ctx: CommandContext, fn: (p: Producer) => Promise<T>): Promise<T> {
  const p = new Producer({ namesrvAddr: ctx.namesrvAddr, producerGroup: `PID_SMSC_${Date.now()}`, instanceName: String(Date.now()), logger: ctx.logger, ...ctx.credentials });
  await p.start();
  try {
    return await fn(p);
  } finally {
    await p.shutdown();
  }
}

const body = (size: number): Buffer => Buffer.alloc(Math.max(1, size), 'a');

export const sendMsgStatus: SubCommand = {
  name: 'sendMsgStatus',
  desc: 'send msg to broker.',
  options: [opt('b', 'brokerName', true, 'Broker Name', true), opt('s', 'messageSize', true, 'Message Size, Default: 128'), opt('c', 'count', true, 'send message count, Default: 50')],
  run: (ctx) =>
    withProducer(ctx, async (p) => {
      // The broker's own topic (brokerName) routes to that broker only.
      const topic = str(ctx.opts, 'b')!;
      const size = int(ctx.opts, 's') ?? 128;
      const count = int(ctx.opts, 'c') ?? 50;
      await p.send(new Message(topic, body(16)));
      for (let i = 0; i < count; i++) {
        const begin = Date.now();
        const r = await p.send(new Message(topic, body(size)));
        ctx.out(`rt:${Date.now() - begin}ms, SendResult=SendResult [sendStatus=${r.sendStatus}, msgId=${r.msgId}, offsetMsgId=${r.offsetMsgId}, messageQueue=${formatMessageQueue(r.messageQueue)}, queueOffset=${r.queueOffset}]\n`);
      }
    }),
};

export const checkMsgSendRT: SubCommand = {
  name: 'checkMsgSendRT',
  desc: 'check message send response time',
  options: [opt('t', 'topic', true, 'topic name', true), opt('a', 'amount', true, 'message amount | default 100'), opt('s', 'size', true, 'message size | default 128 Byte')],
  run: (ctx) =>
    withProducer(ctx, async (p) => {
      const topic = str(ctx.opts, 't')!;
      const amount = int(ctx.opts, 'a') ?? 100;
      if (amount < 1) throw new UsageError('-a: the amount must be at least 1');
      const size = int(ctx.opts, 's') ?? 128;
      const row = (b: unknown, q: unknown, r: unknown, rt: unknown): string => `${left(b, 32)}  ${left(q, 4)}  ${left(r, 20)}    ${rt}\n`;
      ctx.out(row('#Broker Name', '#QID', '#Send Result', '#RT'));
      let elapsed = 0;
      for (let i = 0; i < amount; i++) {
        let picked: MessageQueue | undefined;
        const start = Date.now();
        let ok = true;
        try {
          await p.send(new Message(topic, body(size)), { selector: (mqs) => (picked = mqs[i % mqs.length]!), arg: i });
        } catch {
          ok = false;
        }
        const rt = Date.now() - start;
        // The first send also looks the route up: left out of the average, as Java's tool does.
        if (i !== 0) elapsed += rt;
        ctx.out(row(picked?.brokerName ?? 'null', picked?.queueId ?? 'null', ok, rt));
      }
      ctx.out(`Avg RT: ${fixed(amount > 1 ? elapsed / (amount - 1) : 0, 2)}\n`);
    }),
};

export const printMsg: SubCommand = {
  name: 'printMsg',
  desc: 'Print Message Detail',
  options: [
    opt('t', 'topic', true, 'topic name', true),
    opt('c', 'charsetName', true, 'CharsetName(eg: UTF-8,GBK)'),
    opt('s', 'subExpression', true, 'Subscribe Expression(eg: TagA || TagB)'),
    opt('b', 'beginTimestamp', true, 'Begin timestamp[currentTimeMillis|yyyy-MM-dd#HH:mm:ss:SSS]'),
    opt('e', 'endTimestamp', true, 'End timestamp[currentTimeMillis|yyyy-MM-dd#HH:mm:ss:SSS]'),
    opt('d', 'printBody', true, 'print body'),
  ],
  async run(ctx) {
    const topic = str(ctx.opts, 't')!;
    const sub = str(ctx.opts, 's') ?? '*';
    const printBody = (str(ctx.opts, 'd') ?? 'true').toLowerCase() === 'true';
    const latin1 = /^(iso-?8859-?1|latin-?1)$/i.test(str(ctx.opts, 'c') ?? '');
    const begin = timestampArg(str(ctx.opts, 'b'));
    const end = timestampArg(str(ctx.opts, 'e'));
    await withPullConsumer(ctx, async (consumer) => {
      for (const mq of (await consumer.fetchSubscribeMessageQueues(topic)).sort(compareMessageQueue)) {
        const min = begin > 0 ? await consumer.searchOffset(mq, begin) : await consumer.minOffset(mq);
        const max = end > 0 ? await consumer.searchOffset(mq, end) : await consumer.maxOffset(mq);
        ctx.out(`minOffset=${min}, maxOffset=${max}, ${formatMessageQueue(mq)}\n`);
        for (let offset = min; offset < max; ) {
          const r = await consumer.pull(mq, sub, offset, 32);
          offset = r.nextBeginOffset;
          if (r.pullStatus === 'FOUND') {
            for (const m of r.msgFoundList) ctx.out(messageLine(m, printBody, latin1));
          } else if (r.pullStatus === 'NO_MATCHED_MSG') {
            ctx.out(`${formatMessageQueue(mq)} no matched msg. status=${r.pullStatus}, offset=${offset}\n`);
          } else {
            ctx.out(`${formatMessageQueue(mq)} print msg finished. status=${r.pullStatus}, offset=${offset}\n`);
            break;
          }
        }
      }
    });
  },
};

/**
 * One queue's messages in a time range (PrintMessageByQueueCommand): printed with `-p true`, and
 * with `-f true` counted by tag, most frequent first. The read stops at the first pull that finds
 * nothing, as Java's does.
 */
export const printMsgByQueue: SubCommand = {
  name: 'printMsgByQueue',
  desc: 'Print Message Detail',
  options: [
    opt('t', 'topic', true, 'topic name', true),
    opt('a', 'brokerName', true, 'broker name', true),
    opt('i', 'queueId', true, 'queue id', true),
    opt('c', 'charsetName', true, 'CharsetName(eg: UTF-8,GBK)'),
    opt('s', 'subExpression', true, 'Subscribe Expression(eg: TagA || TagB)'),
    opt('b', 'beginTimestamp', true, 'Begin timestamp[currentTimeMillis|yyyy-MM-dd#HH:mm:ss:SSS]'),
    opt('e', 'endTimestamp', true, 'End timestamp[currentTimeMillis|yyyy-MM-dd#HH:mm:ss:SSS]'),
    opt('p', 'printMsg', true, 'print msg. eg: true | false(default)'),
    opt('d', 'printBody', true, 'print body. eg: true | false(default)'),
    opt('f', 'calculate', true, 'calculate by tag. eg: true | false(default)'),
  ],
  async run(ctx) {
    const mq: MessageQueue = { topic: str(ctx.opts, 't')!, brokerName: str(ctx.opts, 'a')!, queueId: int(ctx.opts, 'i')! };
    const sub = str(ctx.opts, 's') ?? '*';
    const yes = (k: string) => (str(ctx.opts, k) ?? 'false').toLowerCase() === 'true';
    const [printMessages, printBody, calculate] = [yes('p'), yes('d'), yes('f')];
    const latin1 = /^(iso-?8859-?1|latin-?1)$/i.test(str(ctx.opts, 'c') ?? '');
    const begin = timestampArg(str(ctx.opts, 'b'));
    const end = timestampArg(str(ctx.opts, 'e'));
    const tags = new Map<string, number>();
    await withPullConsumer(ctx, async (consumer) => {
      let offset = begin > 0 ? await consumer.searchOffset(mq, begin) : await consumer.minOffset(mq);
      const max = end > 0 ? await consumer.searchOffset(mq, end) : await consumer.maxOffset(mq);
      while (offset < max) {
        const r = await consumer.pull(mq, sub, offset, 32);
        offset = r.nextBeginOffset;
        if (r.pullStatus !== 'FOUND') break;
        for (const m of r.msgFoundList) {
          if (calculate && m.tags?.trim()) tags.set(m.tags, (tags.get(m.tags) ?? 0) + 1);
          if (printMessages) ctx.out(messageLine(m, printBody, latin1));
        }
      }
    });
    // Java's TagCountBean sorts by count, highest first; equal counts keep HashMap order, here insertion order.
    if (calculate) for (const [tag, n] of [...tags].sort((a, b) => b[1] - a[1])) ctx.out(`Tag: ${left(tag, 30)} Count: ${n}\n`);
  },
};

function messageLine(m: MessageExt, printBody: boolean, latin1: boolean): string {
  return `MSGID: ${m.msgId} ${messageExtString(m)} BODY: ${printBody ? m.body.toString(latin1 ? 'latin1' : 'utf8') : 'NOT PRINT BODY'}\n`;
}

async function withPullConsumer(ctx: CommandContext, fn: (c: PullConsumer) => Promise<void>): Promise<void> {
  const consumer = new PullConsumer({ namesrvAddr: ctx.namesrvAddr, instanceName: String(Date.now()), logger: ctx.logger, ...ctx.credentials });
  await consumer.start();
  try {
    await fn(consumer);
  } finally {
    await consumer.shutdown();
  }
}

export const allocateMQ: SubCommand = {
  name: 'allocateMQ',
  desc: 'Allocate MQ',
  options: [opt('t', 'topic', true, 'topic name', true), opt('i', 'ipList', true, 'ipList', true)],
  async run(ctx) {
    const topic = str(ctx.opts, 't')!;
    const cids = str(ctx.opts, 'i')!.split(',').map((s) => s.trim()).filter((s) => s !== '').sort();
    await withPullConsumer(ctx, async (consumer) => {
      const mqs = (await consumer.fetchSubscribeMessageQueues(topic)).sort(compareMessageQueue);
      const result: Record<string, { brokerName: string; queueId: number; topic: string }[]> = {};
      for (const cid of cids) result[cid] = allocateAveragely(cid, mqs, cids).map((mq) => ({ brokerName: mq.brokerName, queueId: mq.queueId, topic: mq.topic }));
      ctx.out(`${JSON.stringify({ result })}\n`);
    });
  },
};

export const clusterRT: SubCommand = {
  name: 'clusterRT',
  desc: 'List All clusters Message Send RT',
  options: [
    opt('a', 'amount', true, 'message amount | default 100'),
    opt('s', 'size', true, 'message size | default 128 Byte'),
    opt('c', 'cluster', true, 'cluster name | default display all cluster'),
    opt('i', 'interval', true, 'Interval of round, unit is second | default 10'),
    opt('r', 'rounds', true, 'rounds to run | default until stopped (ours: RocketMQ always loops)'),
  ],
  run: (ctx) =>
    withProducer(ctx, async (p) => {
      const amount = int(ctx.opts, 'a') ?? 100;
      if (amount < 2) throw new UsageError('-a: the amount must be at least 2 (the first send is not timed)');
      const size = int(ctx.opts, 's') ?? 128;
      const intervalMs = (int(ctx.opts, 'i') ?? 10) * 1000;
      const rounds = int(ctx.opts, 'r') ?? Infinity;
      const admin = new MQAdmin({ namesrvAddr: ctx.namesrvAddr, instanceName: `${Date.now()}-rt`, logger: ctx.logger, ...ctx.credentials });
      await admin.start();
      try {
        const table = (await admin.examineBrokerClusterInfo()).clusterAddrTable;
        const only = str(ctx.opts, 'c');
        const clusters = only ? [only] : [...table.keys()].sort();
        ctx.out(`${left('#Cluster Name', 24)}  ${left('#Broker Name', 24)}  ${left('#RT', 4)}  ${left('#successCount', 8)}  ${left('#failCount', 8)}\n`);
        for (let round = 0; round < rounds; round++) {
          if (round > 0) await new Promise((r) => setTimeout(r, intervalMs));
          for (const cluster of clusters) {
            const brokers = table.get(cluster);
            if (!brokers) {
              ctx.out(`cluster [${cluster}] not exist\n`);
              break;
            }
            for (const broker of [...brokers].sort()) {
              let ok = 0;
              let failed = 0;
              let elapsed = 0;
              for (let i = 0; i < amount; i++) {
                const start = Date.now();
                try {
                  // The broker's own topic: every send goes to that broker.
                  await p.send(new Message(broker, body(size)));
                  ok++;
                } catch {
                  failed++;
                }
                if (i !== 0) elapsed += Date.now() - start;
              }
              ctx.out(`${left(cluster, 24)}  ${left(broker, 24)}  ${left(fixed(elapsed / (amount - 1), 2), 8)}  ${left(ok, 16)}  ${left(failed, 16)}\n`);
            }
          }
        }
      } finally {
        await admin.shutdown();
      }
    }),
};
