import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MQClientError, Message, Producer, PullConsumer, formatMessageQueue, messageQueue, type ConsumeMessageDirectlyResult, type MQAdmin, type MessageExt, type MessageQueue, type SendResult } from '../net/client/index.js';
import { UsageError, int, opt, str } from './cli-args.js';
import { humanTime, javaMapString, left, messageExtString, right } from './format.js';
import { type CommandContext, type SubCommand, withAdmin } from './sub-command.js';
import { makeDirs } from '../store/make-dirs.js';

/** mqadmin's message commands (tools/command/message). */

/** Where queryMsgById leaves each body, as Java's tool does. */
const BODY_DIR = '/tmp/rocketmq/msgbodys';

function printMsg(ctx: CommandContext, msg: MessageExt, bodyCharset: string | undefined): void {
  let bodyPath = '';
  try {
    makeDirs(BODY_DIR);
    bodyPath = join(BODY_DIR, msg.offsetMsgId);
    writeFileSync(bodyPath, msg.body);
  } catch (err) {
    ctx.logger.warn('could not write the body file: %s', (err as Error).message);
  }
  const line = (label: string, v: unknown): void => ctx.out(`${left(label, 20)} ${String(v)}\n`);
  line('OffsetID:', msg.offsetMsgId);
  line('Topic:', msg.topic);
  line('Tags:', `[${msg.tags ?? 'null'}]`);
  line('Keys:', `[${msg.keys ?? 'null'}]`);
  line('Queue ID:', msg.queueId);
  line('Queue Offset:', msg.queueOffset);
  line('CommitLog Offset:', msg.commitLogOffset);
  line('Reconsume Times:', msg.reconsumeTimes);
  line('Born Timestamp:', humanTime(msg.bornTimestamp));
  line('Store Timestamp:', humanTime(msg.storeTimestamp));
  line('Born Host:', msg.bornHost);
  line('Store Host:', msg.storeHost);
  line('System Flag:', msg.sysFlag);
  line('Properties:', javaMapString(msg.properties));
  line('Message Body Path:', bodyPath);
  if (bodyCharset !== undefined) line('Message Body:', msg.body.toString(bodyCharset.toLowerCase().replace('-', '') === 'utf8' ? 'utf8' : 'latin1'));
}

/**
 * The id sendMessage prints (and producers log) is the UNIQ_KEY, not an offset id: decoded as one,
 * its port field holds the producer's pid, so the lookup failed with "bad address
 * 192.0.2.2:1866837979". Say what the id is and which command takes it.
 */
function checkOffsetMsgId(id: string): void {
  if (!/^[0-9A-Fa-f]+$/.test(id) || (id.length !== 32 && id.length !== 56)) return;
  const port = parseInt(id.slice(id.length - 24, id.length - 16), 16);
  if (port > 0 && port <= 65535) return;
  throw new UsageError(`${id} is not an offset message id (OffsetID) but a unique message id (UNIQ_KEY), as sendMessage prints: use queryMsgByUniqueKey -i ${id} -t <topic>`);
}

export const queryMsgById: SubCommand = {
  name: 'queryMsgById',
  desc: 'Query Message by Id',
  options: [
    opt('i', 'msgId', true, 'Message Id', true),
    opt('g', 'consumerGroup', true, 'consumer group name'),
    opt('d', 'clientId', true, "The consumer's client id"),
    opt('s', 'sendMessage', true, 'resend message'),
    opt('u', 'unitName', true, 'unit name'),
    opt('f', 'bodyFormat', true, 'print message body by the specified format'),
  ],
  run: (ctx) =>
    withAdmin(ctx, async (admin) => {
      const ids = str(ctx.opts, 'i')!.split(',').map((s) => s.trim()).filter((s) => s !== '');
      ids.forEach(checkOffsetMsgId);
      const group = str(ctx.opts, 'g');
      const clientId = str(ctx.opts, 'd');
      if (group && clientId) {
        // Java prints these without a line break between them; one per line reads better.
        for (const id of ids) ctx.out(`${directResultString(await admin.consumeMessageDirectly(group, clientId, id))}\n`);
        return;
      }
      if (ctx.opts.has('s')) {
        if (str(ctx.opts, 's')?.toLowerCase() === 'true') await resend(ctx, admin, ids);
        return;
      }
      for (const id of ids) printMsg(ctx, await admin.viewMessage(id), str(ctx.opts, 'f'));
    }),
};

/** ConsumeMessageDirectlyResult.toString. */
function directResultString(r: ConsumeMessageDirectlyResult): string {
  return `ConsumeMessageDirectlyResult [order=${r.order}, autoCommit=${r.autoCommit}, consumeResult=${r.consumeResult}, remark=${r.remark ?? 'null'}, spentTimeMills=${r.spentTimeMills}]`;
}

/** `-s true`: each message sent again to its topic as it was stored (QueryMsgByIdSubCommand.sendMsg). */
async function resend(ctx: CommandContext, admin: MQAdmin, ids: string[]): Promise<void> {
  const producer = new Producer({ namesrvAddr: ctx.namesrvAddr, producerGroup: String(Date.now()), instanceName: String(Date.now()), logger: ctx.logger, ...ctx.credentials });
  await producer.start();
  try {
    for (const id of ids) {
      const m = await admin.viewMessage(id);
      ctx.out(`prepare resend msg. originalMsgId=${id}\n`);
      const again = new Message(m.topic, m.body, { flag: m.flag });
      for (const [k, v] of Object.entries(m.properties)) again.properties.set(k, v);
      const r = await producer.send(again);
      ctx.out(`SendResult [sendStatus=${r.sendStatus}, msgId=${r.msgId}, offsetMsgId=${r.offsetMsgId}, messageQueue=${formatMessageQueue(r.messageQueue)}, queueOffset=${r.queueOffset}]\n`);
    }
  } finally {
    await producer.shutdown();
  }
}

export const queryMsgByUniqueKey: SubCommand = {
  name: 'queryMsgByUniqueKey',
  desc: 'Query Message by Unique key',
  options: [
    opt('i', 'msgId', true, 'Message Id', true),
    opt('t', 'topic', true, 'The topic of msg', true),
    opt('a', 'showAll', false, 'Print all message, the limit is 32'),
  ],
  run: (ctx) =>
    withAdmin(ctx, async (admin) => {
      const id = str(ctx.opts, 'i')!;
      const topic = str(ctx.opts, 't')!;
      const found = await admin.queryMessage(topic, id, 32, 0, Number.MAX_SAFE_INTEGER, true);
      if (found.length === 0) throw new MQClientError('BAD_RESPONSE', `no message with unique key ${id} in topic ${topic}`);
      for (const m of ctx.opts.has('a') ? found : found.slice(0, 1)) printMsg(ctx, m, undefined);
    }),
};

export const queryMsgByOffset: SubCommand = {
  name: 'queryMsgByOffset',
  desc: 'Query Message by offset',
  options: [
    opt('t', 'topic', true, 'topic name', true),
    opt('b', 'brokerName', true, 'Broker Name', true),
    opt('i', 'queueId', true, 'Queue Id', true),
    opt('o', 'offset', true, 'Queue Offset', true),
  ],
  async run(ctx) {
    const mq = messageQueue(str(ctx.opts, 't')!, str(ctx.opts, 'b')!, int(ctx.opts, 'i')!);
    const offset = int(ctx.opts, 'o')!;
    const consumer = new PullConsumer({ namesrvAddr: ctx.namesrvAddr, instanceName: String(Date.now()), logger: ctx.logger, ...ctx.credentials });
    await consumer.start();
    try {
      const r = await consumer.pull(mq, '*', offset, 1);
      // Java's tool prints nothing when there is no message there; a script is better told.
      if (r.pullStatus !== 'FOUND') throw new MQClientError('BAD_RESPONSE', `no message at offset ${offset} of ${formatMessageQueue(mq)}: ${r.pullStatus}`);
      printMsg(ctx, r.msgFoundList[0]!, undefined);
    } finally {
      await consumer.shutdown();
    }
  },
};

export const queryMsgByKey: SubCommand = {
  name: 'queryMsgByKey',
  desc: 'Query Message by Key',
  options: [opt('t', 'topic', true, 'topic name', true), opt('k', 'msgKey', true, 'Message Key', true)],
  run: (ctx) =>
    withAdmin(ctx, async (admin) => {
      const msgs = await admin.queryMessage(str(ctx.opts, 't')!, str(ctx.opts, 'k')!, 64, 0, Number.MAX_SAFE_INTEGER);
      ctx.out(`${left('#Message ID', 50)} ${right('#QID', 4)} ${right('#Offset', 40)}\n`);
      for (const m of msgs) ctx.out(`${left(m.offsetMsgId, 50)} ${right(m.queueId, 4)} ${right(m.queueOffset, 40)}\n`);
    }),
};

export const sendMessage: SubCommand = {
  name: 'sendMessage',
  desc: 'Send a message',
  options: [
    opt('t', 'topic', true, 'Topic name', true),
    opt('p', 'body', true, 'UTF-8 string format of the message body', true),
    opt('k', 'key', true, 'Message keys'),
    opt('c', 'tags', true, 'Message tags'),
    opt('b', 'broker', true, 'Send message to target broker'),
    opt('i', 'qid', true, 'Send message to target queue'),
  ],
  async run(ctx) {
    const topic = str(ctx.opts, 't')!;
    const brokerName = str(ctx.opts, 'b');
    const qid = int(ctx.opts, 'i');
    if (qid !== undefined && brokerName === undefined) throw new UsageError('Broker name must be set if the queue is chosen!');
    const msg = new Message(topic, str(ctx.opts, 'p')!, { tags: str(ctx.opts, 'c'), keys: str(ctx.opts, 'k') });
    const producer = new Producer({ namesrvAddr: ctx.namesrvAddr, producerGroup: String(Date.now()), instanceName: String(Date.now()), logger: ctx.logger, ...ctx.credentials });
    await producer.start();
    let result: SendResult;
    try {
      result = await producer.send(msg, brokerName !== undefined && qid !== undefined ? { queue: messageQueue(topic, brokerName, qid) } : {});
    } finally {
      await producer.shutdown();
    }
    const row = (a: unknown, b: unknown, c: unknown, d: unknown): string => `${left(a, 32)}  ${left(b, 4)}  ${left(c, 20)}    ${d}\n`;
    ctx.out(row('#Broker Name', '#QID', '#Send Result', '#MsgId'));
    ctx.out(row(result.messageQueue.brokerName, result.messageQueue.queueId, result.sendStatus, result.msgId));
  },
};

/** ConsumeMessageCommand.timestampFormat: epoch milliseconds or `yyyy-MM-dd#HH:mm:ss:SSS` (local time); 0 when absent. */
export function timestampArg(v: string | undefined): number {
  if (v === undefined) return 0;
  if (/^\d+$/.test(v)) return Number(v);
  const m = /^(\d{4})-(\d\d)-(\d\d)#(\d\d):(\d\d):(\d\d):(\d{3})$/.exec(v);
  if (!m) throw new UsageError(`bad timestamp "${v}" (expected milliseconds or yyyy-MM-dd#HH:mm:ss:SSS)`);
  const [y, mo, d, h, mi, se, ms] = m.slice(1).map(Number) as [number, number, number, number, number, number, number];
  return new Date(y, mo - 1, d, h, mi, se, ms).getTime();
}

async function printQueue(ctx: CommandContext, consumer: PullConsumer, mq: MessageQueue, minOffset: number, maxOffset: number): Promise<void> {
  for (let offset = minOffset; offset <= maxOffset; ) {
    const r = await consumer.pull(mq, '*', offset, Math.max(1, Math.min(32, maxOffset - offset + 1)));
    offset = r.nextBeginOffset;
    if (r.pullStatus === 'FOUND') {
      ctx.out('Consume ok\n');
      for (const m of r.msgFoundList) ctx.out(`MSGID: ${m.msgId} ${messageExtString(m)} BODY: ${m.body.toString('utf8')}\n`);
    } else if (r.pullStatus === 'NO_MATCHED_MSG') {
      ctx.out(`${formatMessageQueue(mq)} no matched msg. status=${r.pullStatus}, offset=${offset}\n`);
    } else {
      ctx.out(`${formatMessageQueue(mq)} print msg finished. status=${r.pullStatus}, offset=${offset}\n`);
      return;
    }
  }
}

export const consumeMessage: SubCommand = {
  name: 'consumeMessage',
  desc: 'Consume message',
  options: [
    opt('t', 'topic', true, 'Topic name', true),
    opt('b', 'brokerName', true, 'Broker name'),
    opt('i', 'queueId', true, 'Queue Id'),
    opt('o', 'offset', true, 'Queue offset'),
    opt('g', 'consumerGroup', true, 'Consumer group name'),
    opt('s', 'beginTimestamp', true, 'Begin timestamp[currentTimeMillis|yyyy-MM-dd#HH:mm:ss:SSS]'),
    opt('e', 'endTimestamp', true, 'End timestamp[currentTimeMillis|yyyy-MM-dd#HH:mm:ss:SSS]'),
    opt('c', 'MessageNumber', true, 'Number of message to be consumed'),
  ],
  async run(ctx) {
    const topic = str(ctx.opts, 't')!;
    const count = int(ctx.opts, 'c') ?? 128;
    if (count <= 0) throw new UsageError('please input a positive messageNumber!');
    const brokerName = str(ctx.opts, 'b');
    const queueId = int(ctx.opts, 'i');
    const offset = int(ctx.opts, 'o');
    if (queueId !== undefined && brokerName === undefined) throw new UsageError('Please set the brokerName before queueId!');
    if (offset !== undefined && queueId === undefined) throw new UsageError('please set queueId before offset!');
    const begin = timestampArg(str(ctx.opts, 's'));
    const end = timestampArg(str(ctx.opts, 'e'));
    const group = str(ctx.opts, 'g');
    const consumer = new PullConsumer({ namesrvAddr: ctx.namesrvAddr, instanceName: String(Date.now()), logger: ctx.logger, ...ctx.credentials, ...(group ? { consumerGroup: group } : {}) });
    await consumer.start();
    try {
      const range = async (mq: MessageQueue): Promise<[number, number]> => [
        begin > 0 ? await consumer.searchOffset(mq, begin) : await consumer.minOffset(mq),
        end > 0 ? await consumer.searchOffset(mq, end) : await consumer.maxOffset(mq),
      ];
      if (queueId !== undefined) {
        const mq = messageQueue(topic, brokerName!, queueId);
        let [min, max] = await range(mq);
        if (offset !== undefined && offset > max) {
          ctx.out(`${formatMessageQueue(mq)} no matched msg, offset=${offset}\n`);
          return;
        }
        min = Math.max(min, offset ?? 0);
        if (max - min > count) {
          ctx.out(`The oldler ${count} message will be provided\n`);
          max = min + count - 1;
        }
        await printQueue(ctx, consumer, mq, min, max);
        return;
      }
      let countLeft = count;
      for (const mq of await consumer.fetchSubscribeMessageQueues(topic)) {
        if (countLeft === 0) return;
        let [min, max] = await range(mq);
        if (max - min > countLeft) {
          ctx.out(`The older ${countLeft} message of the ${mq.queueId} queue will be provided\n`);
          max = min + countLeft - 1;
          countLeft = 0;
        } else {
          countLeft = Math.max(0, countLeft - (max - min) - 1);
        }
        await printQueue(ctx, consumer, mq, min, max);
      }
    } finally {
      await consumer.shutdown();
    }
  },
};
