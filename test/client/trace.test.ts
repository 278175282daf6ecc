import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MQAdmin, Message, Producer, PushConsumer, TransactionProducer } from '../../src/net/client/index.js';
import { CONTENT_SPLITOR, FIELD_SPLITOR, decodeTraceRecords, encodeTraceRecord } from '../../src/net/client/trace-data.js';
import { createTopic, pollUntil, silentLogger, startTestCluster, type LocalCluster } from '../helpers/cluster-procs.js';
import { runMqadmin } from '../helpers/mqadmin-run.js';

describe('trace records', () => {
  it('encode with RocketMQ field counts and separators, and decode older shorter forms', () => {
    const pub = encodeTraceRecord({ type: 'Pub', timeStamp: 1, regionId: 'R', groupName: 'G', topic: 'T', msgId: 'M', tags: '', keys: 'k1 k2', storeHost: '1.2.3.4:10911', bodyLength: 5, costTime: 2, msgType: 0, offsetMsgId: 'O', success: true });
    expect(pub).toBe(['Pub', 1, 'R', 'G', 'T', 'M', 'null', 'k1 k2', '1.2.3.4:10911', 5, 2, 0, 'O', true].join(CONTENT_SPLITOR) + FIELD_SPLITOR);
    const after = encodeTraceRecord({ type: 'SubAfter', requestId: 'Q', msgId: 'M', costTime: 3, success: false, keys: '', contextCode: 4, timeStamp: 9, groupName: 'C' });
    expect(after.split(CONTENT_SPLITOR)).toHaveLength(9);
    const old = ['Pub', 1, 'R', 'G', 'T', 'M', 't', 'k', 'h', 5, 2, 0, 'false'].join(CONTENT_SPLITOR) + FIELD_SPLITOR + ['SubAfter', 'Q', 'M', 3, 'true', 'k', 0].join(CONTENT_SPLITOR) + FIELD_SPLITOR + 'Weird\u0001x' + FIELD_SPLITOR + 'Pub\u0001short' + FIELD_SPLITOR;
    const recs = decodeTraceRecords(pub + after + old);
    expect(recs.map((r) => r.type)).toEqual(['Pub', 'SubAfter', 'Pub', 'SubAfter']);
    expect(recs[0]).toMatchObject({ tags: '', keys: 'k1 k2', offsetMsgId: 'O', success: true });
    expect(recs[1]).toMatchObject({ success: false, contextCode: 4, timeStamp: 9, groupName: 'C' });
    expect(recs[2]).toMatchObject({ success: false, offsetMsgId: '' });
    expect(recs[3]).toMatchObject({ contextCode: 0, groupName: '' });
    const end = encodeTraceRecord({ type: 'EndTransaction', timeStamp: 5, regionId: 'R', groupName: 'G', topic: 'T', msgId: 'M', tags: 't', keys: 'k', storeHost: 'h:1', msgType: 2, transactionId: 'X', transactionState: 'COMMIT_MESSAGE', fromTransactionCheck: true });
    expect(end.split(CONTENT_SPLITOR)).toHaveLength(13);
    expect(decodeTraceRecords(end)).toEqual([{ type: 'EndTransaction', timeStamp: 5, regionId: 'R', groupName: 'G', topic: 'T', msgId: 'M', tags: 't', keys: 'k', storeHost: 'h:1', msgType: 2, transactionId: 'X', transactionState: 'COMMIT_MESSAGE', fromTransactionCheck: true }]);
  });
});

let cluster: LocalCluster;
beforeAll(async () => {
  cluster = await startTestCluster({ brokerProps: { traceTopicEnable: true } });
  await createTopic(cluster, 'TracedTopic', 1);
});
afterAll(async () => {
  await cluster?.stop();
});

describe('message traces end to end', () => {
  it('a traced send and consume write Pub, SubBefore and SubAfter records that queryMsgTraceById prints', async () => {
    const producer = new Producer({ producerGroup: 'TraceProducer', namesrvAddr: cluster.namesrvAddr, logger: silentLogger, enableMsgTrace: true });
    await producer.start();
    const r = await producer.send(new Message('TracedTopic', 'traced body', { tags: 'TagT', keys: ['order-9'] }));
    expect(r.sendStatus).toBe('SEND_OK');
    const got: string[] = [];
    const consumer = new PushConsumer({ consumerGroup: 'TraceGroup', namesrvAddr: cluster.namesrvAddr, logger: silentLogger, consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET', enableMsgTrace: true });
    consumer.subscribe('TracedTopic', '*').registerMessageListener((msgs) => void got.push(...msgs.map((m) => m.body.toString())));
    await consumer.start();
    await pollUntil(() => got.length >= 1, 15_000, 'the traced message consumed');
    // Shutdown flushes what the dispatchers still hold.
    await consumer.shutdown();
    await producer.shutdown();

    const admin = new MQAdmin({ namesrvAddr: cluster.namesrvAddr, logger: silentLogger });
    await admin.start();
    try {
      let traces: string[] = [];
      await pollUntil(async () => {
        traces = (await admin.queryMessage('RMQ_SYS_TRACE_TOPIC', r.msgId, 64, 0, Date.now()).catch(() => [])).map((m) => m.body.toString());
        return traces.join('').includes('SubAfter');
      }, 10_000, 'the trace messages');
      const records = traces.join('').split(FIELD_SPLITOR).filter((s) => s !== '').map((s) => s.split(CONTENT_SPLITOR));
      const byType = (t: string) => records.filter((f) => f[0] === t);
      expect(byType('Pub')).toHaveLength(1);
      expect(byType('Pub')[0]).toHaveLength(14);
      expect(byType('Pub')[0]!.slice(3, 8)).toEqual(['TraceProducer', 'TracedTopic', r.msgId, 'TagT', 'order-9']);
      expect(byType('Pub')[0]![12]).toBe(r.offsetMsgId);
      expect(byType('SubBefore')[0]).toHaveLength(8);
      expect(byType('SubAfter')[0]).toHaveLength(9);
      expect(byType('SubAfter')[0]![1]).toBe(byType('SubBefore')[0]![4]);
      expect(byType('SubAfter')[0]![8]).toBe('TraceGroup');
    } finally {
      await admin.shutdown();
    }
    const out = (await runMqadmin(cluster.namesrvAddr, ['queryMsgTraceById', '-i', r.msgId])).out.split('\n');
    expect(out[0]).toMatch(/^#Type +#ProducerGroup +#ClientHost +#SendTime +#CostTimes +#Status/);
    expect(out[1]).toMatch(/^Pub +TraceProducer +[\d.]+ +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d +\d+ms +success/);
    expect(out[4]).toMatch(/^Sub +TraceGroup +[\d.]+ +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d +\d+ms +success/);
  });

  it('a traced transaction producer writes its EndTransaction record', async () => {
    const tx = new TransactionProducer({
      producerGroup: 'TraceTxGroup', namesrvAddr: cluster.namesrvAddr, logger: silentLogger, enableMsgTrace: true,
      transactionListener: { executeLocalTransaction: () => 'COMMIT_MESSAGE', checkLocalTransaction: () => 'COMMIT_MESSAGE' },
    });
    await tx.start();
    const r = await tx.sendMessageInTransaction(new Message('TracedTopic', 'in a transaction', { keys: ['tx-1'] }));
    await tx.shutdown();
    const admin = new MQAdmin({ namesrvAddr: cluster.namesrvAddr, logger: silentLogger });
    await admin.start();
    try {
      let records: string[][] = [];
      await pollUntil(async () => {
        const bodies = (await admin.queryMessage('RMQ_SYS_TRACE_TOPIC', r.msgId, 64, 0, Date.now()).catch(() => [])).map((m) => m.body.toString());
        records = bodies.join('').split(FIELD_SPLITOR).filter((x) => x !== '').map((x) => x.split(CONTENT_SPLITOR));
        return records.some((f) => f[0] === 'EndTransaction');
      }, 10_000, 'the EndTransaction record');
      const end = records.find((f) => f[0] === 'EndTransaction')!;
      expect(end).toHaveLength(13);
      expect(end.slice(3, 6)).toEqual(['TraceTxGroup', 'TracedTopic', r.msgId]);
      expect(end.slice(9)).toEqual(['2', r.transactionId, 'COMMIT_MESSAGE', 'false']);
      // The half's send has its Pub record too, typed as a half message (1).
      expect(records.find((f) => f[0] === 'Pub')![11]).toBe('1');
    } finally {
      await admin.shutdown();
    }
  });
});
