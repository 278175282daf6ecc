import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Message, PushConsumer, TransactionProducer, type LocalTransactionState, type MessageExt } from '../../src/net/client/index.js';
import { runMqadmin } from '../helpers/mqadmin-run.js';
import { createTopic, pollUntil, silentLogger, startTestCluster, type LocalCluster } from '../helpers/cluster-procs.js';

/**
 * Transactional messages end to end, against a broker process: half messages stay invisible until
 * committed, a rollback never shows, and a transaction left unknown (or whose local step threw)
 * is settled by the broker's check-back. Check intervals are shortened to keep this quick.
 */
const TOPIC = 'TxTopic';
let cluster: LocalCluster;

beforeAll(async () => {
  cluster = await startTestCluster({ brokerProps: { transactionCheckInterval: 300, transactionTimeOut: 800 } });
  await createTopic(cluster, TOPIC, 1);
});

afterAll(async () => {
  await cluster?.stop();
});

describe('transactional messages', () => {
  it('delivers committed halves, never rolled-back ones, and settles unknown ones by check-back', async () => {
    const checked: string[] = [];
    const producer = new TransactionProducer({
      producerGroup: 'TxProducerGroup',
      namesrvAddr: cluster.namesrvAddr,
      logger: silentLogger,
      transactionListener: {
        executeLocalTransaction(msg: Message): LocalTransactionState {
          const body = msg.body.toString();
          if (body.startsWith('throws')) throw new Error('local step failed');
          if (body.startsWith('commit')) return 'COMMIT_MESSAGE';
          if (body.startsWith('rollback')) return 'ROLLBACK_MESSAGE';
          return 'UNKNOW';
        },
        checkLocalTransaction(msg: MessageExt): LocalTransactionState {
          const body = msg.body.toString();
          checked.push(`${body}@${msg.topic}`);
          return body.endsWith('-rollback') ? 'ROLLBACK_MESSAGE' : 'COMMIT_MESSAGE';
        },
      },
    });
    const got: MessageExt[] = [];
    const consumer = new PushConsumer({ consumerGroup: 'TxConsumerGroup', namesrvAddr: cluster.namesrvAddr, logger: silentLogger, consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
    consumer.subscribe(TOPIC, '*').registerMessageListener((msgs) => void got.push(...msgs));
    await producer.start();
    await consumer.start();
    try {
      const results = [];
      for (const body of ['commit-1', 'rollback-1', 'unknown-commit', 'unknown-rollback', 'throws-commit']) {
        results.push(await producer.sendMessageInTransaction(new Message(TOPIC, body, { keys: [body] }), null));
      }
      expect(results.map((r) => [r.sendStatus, r.localTransactionState])).toEqual([
        ['SEND_OK', 'COMMIT_MESSAGE'],
        ['SEND_OK', 'ROLLBACK_MESSAGE'],
        ['SEND_OK', 'UNKNOW'],
        ['SEND_OK', 'UNKNOW'],
        ['SEND_OK', 'UNKNOW'],
      ]);
      expect(results[0]!.transactionId).toBe(results[0]!.msgId);

      await pollUntil(() => got.length >= 3, 15_000, 'the committed and checked-back messages');
      // Past another check round or two: nothing else may show up.
      await new Promise((r) => setTimeout(r, 1500));
      const bodies = got.map((m) => m.body.toString()).sort();
      expect(bodies).toEqual(['commit-1', 'throws-commit', 'unknown-commit']);
      for (const m of got) {
        expect(m.topic).toBe(TOPIC);
        expect(m.sysFlag & 0xc).toBe(0x8);
        expect(m.properties.REAL_TOPIC).toBeUndefined();
        expect(m.preparedTransactionOffset).toBeGreaterThanOrEqual(0);
      }
      // Only the unknown ones were asked about, each once, under their real topic.
      expect(checked.sort()).toEqual(['throws-commit@TxTopic', 'unknown-commit@TxTopic', 'unknown-rollback@TxTopic']);
      // The broker knows the producer's channel (what check-backs use), as mqadmin shows it.
      const pc = await runMqadmin(cluster.namesrvAddr, ['producerConnection', '-g', 'TxProducerGroup', '-t', TOPIC]);
      expect(pc.code).toBe(0);
      expect(pc.out).toMatch(new RegExp(`^0001  ${producer.clientId!.replace(/[.#@]/g, '\\$&')} +127\\.0\\.0\\.1:\\d+ +JAVA +V4_9_8\\n$`));
    } finally {
      await consumer.shutdown();
      await producer.shutdown();
    }
    // Gone once it unregistered.
    expect((await runMqadmin(cluster.namesrvAddr, ['producerConnection', '-g', 'TxProducerGroup', '-t', TOPIC])).code).toBe(1);
  });
});
