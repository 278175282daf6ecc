import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RemotingServer } from '../../src/net/remoting-server.js';
import { RemotingCommand } from '../../src/net/remoting-command.js';
import { RequestCode, ResponseCode } from '../../src/net/codes.js';
import { silentLogger } from '../../src/net/logger.js';
import { stringifyFastjson } from '../../src/net/fastjson.js';
import { Message, Producer, type MessageQueue } from '../../src/net/client/index.js';
import { decodeBatchBody } from '../../src/net/client/message-batch.js';
import { waitFor } from '../net/helpers.js';

/**
 * The producer against scripted servers: a fake NameServer answering routes and two fake brokers
 * whose send answers each test sets. Exercises queue selection, retry on another broker, the
 * auto-create route through TBW102, batches and the in-flight window without a real broker.
 */
type SendHandler = (req: RemotingCommand) => RemotingCommand | Promise<RemotingCommand>;

interface FakeBroker {
  server: RemotingServer;
  addr: string;
  requests: RemotingCommand[];
  heartbeats: RemotingCommand[];
  onSend: SendHandler;
}

const ok = (req: RemotingCommand, queueOffset = 0): RemotingCommand =>
  RemotingCommand.createResponse(req, ResponseCode.SUCCESS, undefined, { msgId: 'AB', queueId: req.extFields.e, queueOffset, MSG_REGION: 'DefaultRegion', TRACE_ON: 'true' });

async function fakeBroker(): Promise<FakeBroker> {
  const server = new RemotingServer({ port: 0, host: '127.0.0.1', logger: silentLogger });
  const b: FakeBroker = { server, addr: '', requests: [], heartbeats: [], onSend: (req) => ok(req) };
  for (const code of [RequestCode.SEND_MESSAGE_V2, RequestCode.SEND_BATCH_MESSAGE]) {
    server.registerProcessor(code, (req) => {
      b.requests.push(req);
      return b.onSend(req);
    });
  }
  server.registerProcessor(RequestCode.HEART_BEAT, (req) => {
    b.heartbeats.push(req);
    return RemotingCommand.createResponse(req, ResponseCode.SUCCESS);
  });
  server.registerProcessor(RequestCode.UNREGISTER_CLIENT, (req) => RemotingCommand.createResponse(req, ResponseCode.SUCCESS));
  b.addr = `127.0.0.1:${await server.listen()}`;
  return b;
}

function routeBody(brokers: FakeBroker[], queues: number): Buffer {
  return Buffer.from(
    stringifyFastjson({
      brokerDatas: brokers.map((b, i) => ({ brokerAddrs: new Map([[0, b.addr]]), brokerName: `broker-${i}`, cluster: 'C' })),
      filterServerTable: {},
      queueDatas: brokers.map((_, i) => ({ brokerName: `broker-${i}`, perm: 6, readQueueNums: queues, topicSysFlag: 0, writeQueueNums: queues })),
    }),
  );
}

describe('Producer against fake servers', () => {
  let namesrv: RemotingServer;
  let brokers: FakeBroker[];
  let producer: Producer;
  const routeQueries: string[] = [];

  beforeAll(async () => {
    brokers = [await fakeBroker(), await fakeBroker()];
    namesrv = new RemotingServer({ port: 0, host: '127.0.0.1', logger: silentLogger });
    namesrv.registerProcessor(RequestCode.GET_ROUTEINFO_BY_TOPIC, (req) => {
      const topic = req.extFields.topic!;
      routeQueries.push(topic);
      if (topic === 'Known') return RemotingCommand.createResponse(req, ResponseCode.SUCCESS, undefined, undefined, routeBody(brokers, 2));
      if (topic === 'TBW102') return RemotingCommand.createResponse(req, ResponseCode.SUCCESS, undefined, undefined, routeBody(brokers, 8));
      return RemotingCommand.createResponse(req, ResponseCode.TOPIC_NOT_EXIST, `No topic route info in name server for the topic: ${topic}`);
    });
    const port = await namesrv.listen();
    producer = new Producer({ producerGroup: 'PG', namesrvAddr: `127.0.0.1:${port}`, logger: silentLogger, sendMsgTimeout: 2000 });
    await producer.start();
  });

  afterAll(async () => {
    await producer?.shutdown();
    await namesrv?.close();
    for (const b of brokers ?? []) await b.server.close();
  });

  const reset = (): void => {
    for (const b of brokers) {
      b.requests.length = 0;
      b.onSend = (req) => ok(req);
    }
  };

  it('sends round-robin over the queues of both brokers with a V2 header and a UNIQ_KEY', async () => {
    reset();
    const seen: string[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await producer.send(new Message('Known', `m${i}`, { tags: 'TagA', keys: 'k' }));
      expect(r.sendStatus).toBe('SEND_OK');
      expect(r.msgId).toMatch(/^[0-9A-F]{32}$/);
      seen.push(`${r.messageQueue.brokerName}/${r.messageQueue.queueId}`);
    }
    expect(new Set(seen).size).toBe(4);
    const req = brokers[0]!.requests[0]!;
    expect(req.code).toBe(RequestCode.SEND_MESSAGE_V2);
    expect(req.extFields).toMatchObject({ a: 'PG', b: 'Known', c: 'TBW102', d: '4', f: '0', j: '0', k: 'false', m: 'false' });
    expect(req.extFields.i).toMatch(/^TAGS\u0001TagA\u0002KEYS\u0001k\u0002WAIT\u0001true\u0002UNIQ_KEY\u0001[0-9A-F]{32}$/);
  });

  it('retries a retriable failure on the other broker', async () => {
    reset();
    brokers[0]!.onSend = (req) => RemotingCommand.createResponse(req, ResponseCode.SYSTEM_BUSY, '[PCBUSY_CLEAN_QUEUE]');
    for (let i = 0; i < 4; i++) {
      const r = await producer.send(new Message('Known', 'x'));
      expect(r.messageQueue.brokerName).toBe('broker-1');
    }
    expect(brokers[1]!.requests.length).toBe(4);
    expect(brokers[0]!.requests.length).toBeGreaterThan(0);
  });

  it('with sendLatencyFaultEnable, leaves a failing or slow broker out of rotation for a while', async () => {
    reset();
    const faulty = new Producer({ producerGroup: 'PG_FAULT', instanceName: 'fault-aware', namesrvAddr: `127.0.0.1:${namesrv.port}`, logger: silentLogger, sendMsgTimeout: 3000, sendLatencyFaultEnable: true });
    await faulty.start();
    try {
      // A failure isolates broker-0 for 30 s: after it, every send goes to broker-1 at once.
      brokers[0]!.onSend = (req) => RemotingCommand.createResponse(req, ResponseCode.SYSTEM_BUSY, '[PCBUSY_CLEAN_QUEUE]');
      for (let i = 0; i < 8; i++) expect((await faulty.send(new Message('Known', 'x'))).messageQueue.brokerName).toBe('broker-1');
      expect(brokers[0]!.requests.length).toBe(1);
      // A broker that answered in over 550 ms is left alone too, though its answer was fine.
      reset();
      brokers[1]!.onSend = async (req) => (await new Promise((r) => setTimeout(r, 600)), ok(req));
      const slow = new Producer({ producerGroup: 'PG_FAULT2', instanceName: 'fault-aware-2', namesrvAddr: `127.0.0.1:${namesrv.port}`, logger: silentLogger, sendMsgTimeout: 3000, sendLatencyFaultEnable: true });
      await slow.start();
      try {
        const sent = [];
        for (let i = 0; i < 6; i++) sent.push((await slow.send(new Message('Known', 'y'))).messageQueue.brokerName);
        expect(brokers[1]!.requests.length).toBe(1);
        expect(sent.filter((b) => b === 'broker-0').length).toBe(5);
      } finally {
        await slow.shutdown();
      }
    } finally {
      await faulty.shutdown();
    }
  });

  it('does not retry MESSAGE_ILLEGAL and reports the response code', async () => {
    reset();
    for (const b of brokers) b.onSend = (req) => RemotingCommand.createResponse(req, ResponseCode.MESSAGE_ILLEGAL, 'bad');
    await expect(producer.send(new Message('Known', 'x'))).rejects.toMatchObject({ responseCode: 13 });
    expect(brokers[0]!.requests.length + brokers[1]!.requests.length).toBe(1);
  });

  it('puts every message with the same selector argument in one queue, in order', async () => {
    reset();
    const selector = (mqs: readonly MessageQueue[], _m: Message, arg: unknown): MessageQueue => mqs[(arg as number) % mqs.length]!;
    for (let i = 0; i < 6; i++) await producer.send(new Message('Known', `o${i}`), { selector, arg: 3 });
    const all = [...brokers[0]!.requests, ...brokers[1]!.requests];
    expect(all.map((r) => r.body!.toString())).toEqual(['o0', 'o1', 'o2', 'o3', 'o4', 'o5']);
    expect(new Set(all.map((r) => r.extFields.e))).toEqual(new Set(['1']));
  });

  it('fails a send whose selector picks no queue instead of quietly going round-robin', async () => {
    reset();
    await producer.send(new Message('Known', 'route'));
    reset();
    const none = (() => undefined) as unknown as (mqs: readonly MessageQueue[]) => MessageQueue;
    await expect(producer.send(new Message('Known', 'x'), { selector: none })).rejects.toMatchObject({ code: 'SELECT_QUEUE_FAILED' });
    expect(brokers.flatMap((b) => b.requests)).toEqual([]);
  });

  it('sends to a topic the NameServer does not know through TBW102, at most defaultTopicQueueNums queues per broker', async () => {
    reset();
    const r = await producer.send(new Message('NewTopic', 'x'));
    expect(r.sendStatus).toBe('SEND_OK');
    expect(routeQueries).toContain('NewTopic');
    const queues = await producer.fetchPublishMessageQueues('NewTopic');
    expect(queues.length).toBe(8);
    expect(Math.max(...queues.map((q) => q.queueId))).toBe(3);
  });

  it('sends a batch as SEND_BATCH_MESSAGE with one record per message', async () => {
    reset();
    const msgs = [0, 1, 2].map((i) => new Message('Known', `b${i}`, { keys: `key${i}` }));
    const r = await producer.sendBatch(msgs);
    expect(r.msgId.split(',')).toHaveLength(3);
    const req = [...brokers[0]!.requests, ...brokers[1]!.requests][0]!;
    expect(req.code).toBe(RequestCode.SEND_BATCH_MESSAGE);
    expect(req.extFields.m).toBe('true');
    const recs = decodeBatchBody(req.body!);
    expect(recs.map((x) => x.body.toString())).toEqual(['b0', 'b1', 'b2']);
    expect(recs[1]!.properties).toContain(`UNIQ_KEY\u0001${msgs[1]!.uniqKey}`);
    await expect(producer.sendBatch([new Message('Known', 'a'), new Message('Other', 'b')])).rejects.toThrow(/same/);
  });

  it('keeps at most maxInFlightSends requests in flight', async () => {
    reset();
    const small = new Producer({ producerGroup: 'PG2', namesrvAddr: producer.config.namesrvAddr, logger: silentLogger, maxInFlightSends: 3 });
    await small.start();
    try {
      let inFlight = 0;
      let peak = 0;
      for (const b of brokers) {
        b.onSend = async (req) => {
          peak = Math.max(peak, ++inFlight);
          await new Promise((r) => setTimeout(r, 5));
          inFlight--;
          return ok(req);
        };
      }
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => small.send(new Message('Known', `w${i}`))));
      expect(results.every((r) => r.sendStatus === 'SEND_OK')).toBe(true);
      expect(peak).toBe(3);
    } finally {
      await small.shutdown();
    }
  });

  it('heartbeats every broker of a route as soon as it learns of it, not a heartbeat interval later', async () => {
    const p = new Producer({ producerGroup: 'PG_HB', namesrvAddr: producer.config.namesrvAddr, logger: silentLogger });
    await p.start();
    try {
      const names = (b: FakeBroker): string[] =>
        b.heartbeats.flatMap((h) => (JSON.parse(h.body!.toString()) as { producerDataSet: { groupName: string }[] }).producerDataSet.map((d) => d.groupName));
      await p.send(new Message('Known', 'hb'));
      // Java's producer heartbeats at start() and 1 s later; the periodic one comes after 30 s.
      await waitFor(() => brokers.every((b) => names(b).includes('PG_HB')), 2000, 'a heartbeat naming PG_HB at both brokers');
    } finally {
      await p.shutdown();
    }
  });

  it('rejects bad input before sending', async () => {
    await expect(producer.send(new Message('bad/topic', 'x'))).rejects.toThrow(/illegal characters/);
    await expect(producer.send(new Message('Known', ''))).rejects.toThrow(/body length is zero/);
    await expect(producer.send(new Message('TBW102', 'x'))).rejects.toThrow(/forbidden/);
  });
});
