import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LitePullConsumer, MQAdmin, Message, Producer, PullConsumer, PushConsumer, type MessageExt } from '../../src/net/client/index.js';
import { Namespace } from '../../src/net/client/namespace.js';
import { splitNamesrvAddr } from '../../src/net/client/client-config.js';
import { createTopic, pollUntil, silentLogger, startTestCluster, type LocalCluster } from '../helpers/cluster-procs.js';

describe('Namespace (NamespaceUtil)', () => {
  const ns = Namespace.of({ namespace: 'MQ_INST_xx', namesrvAddr: '' });

  it('wraps topics and groups, retry and DLQ names inside their prefix, once, and never system names', () => {
    expect(ns.wrap('Topic')).toBe('MQ_INST_xx%Topic');
    expect(ns.wrap('%RETRY%GID')).toBe('%RETRY%MQ_INST_xx%GID');
    expect(ns.wrap('%DLQ%GID')).toBe('%DLQ%MQ_INST_xx%GID');
    expect(ns.wrap('MQ_INST_xx%Topic')).toBe('MQ_INST_xx%Topic');
    expect(ns.wrap('%RETRY%MQ_INST_xx%GID')).toBe('%RETRY%MQ_INST_xx%GID');
    for (const sys of ['TBW102', 'RMQ_SYS_TRANS_HALF_TOPIC', 'rmq_sys_anything', 'CID_RMQ_SYS_TRANS', 'SCHEDULE_TOPIC_XXXX']) expect(ns.wrap(sys)).toBe(sys);
    expect(ns.wrap('DEFAULT_CONSUMER')).toBe('MQ_INST_xx%DEFAULT_CONSUMER');
  });

  it('unwraps only its own namespace', () => {
    expect(ns.unwrap('MQ_INST_xx%Topic')).toBe('Topic');
    expect(ns.unwrap('%RETRY%MQ_INST_xx%GID')).toBe('%RETRY%GID');
    expect(ns.unwrap('other%Topic')).toBe('other%Topic');
    expect(ns.unwrap('Topic')).toBe('Topic');
    expect(Namespace.NONE.wrap('Topic')).toBe('Topic');
  });

  it('takes the namespace from an instance endpoint, and dials its host:port', () => {
    expect(Namespace.of({ namespace: '', namesrvAddr: 'http://MQ_INST_123_abc.mq.example.com:80' }).name).toBe('MQ_INST_123_abc');
    expect(Namespace.of({ namespace: '', namesrvAddr: 'MQ_INST_1_b.host:9876' }).name).toBe('MQ_INST_1_b');
    expect(Namespace.of({ namespace: '', namesrvAddr: '127.0.0.1:9876' }).active).toBe(false);
    expect(Namespace.of({ namespace: 'mine', namesrvAddr: 'http://MQ_INST_1_b.host:80' }).name).toBe('mine');
    expect(splitNamesrvAddr('http://MQ_INST_123_abc.mq.example.com:80;10.0.0.1:9876')).toEqual(['MQ_INST_123_abc.mq.example.com:80', '10.0.0.1:9876']);
  });
});

describe('clients in a namespace, against a real broker', () => {
  let cluster: LocalCluster;
  let admin: MQAdmin;
  const opts = () => ({ namesrvAddr: cluster.namesrvAddr, logger: silentLogger, namespace: 'tenantA' });

  beforeAll(async () => {
    cluster = await startTestCluster();
    await createTopic(cluster, 'tenantA%Orders', 2);
    admin = new MQAdmin({ namesrvAddr: cluster.namesrvAddr, logger: silentLogger });
    await admin.start();
  });

  afterAll(async () => {
    await admin?.shutdown();
    await cluster?.stop();
  });

  it('sends to <ns>%topic, and consumers of the namespace see the plain topic, retries included', async () => {
    const producer = new Producer({ ...opts(), producerGroup: 'OrderProducer' });
    await producer.start();
    const seen: MessageExt[] = [];
    const consumer = new PushConsumer({ ...opts(), consumerGroup: 'OrderGroup', consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET', pollNameServerInterval: 200 });
    consumer.subscribe('Orders').registerMessageListener((msgs) => {
      seen.push(...msgs);
      if (msgs.some((m) => m.body.toString() === 'o-1' && m.reconsumeTimes === 0)) throw new Error('once more');
    });
    try {
      expect(producer.group).toBe('tenantA%OrderProducer');
      const r = await producer.send(new Message('Orders', Buffer.from('o-1'), { tags: 'T1' }));
      expect(r.messageQueue.topic).toBe('Orders');
      const selected: string[] = [];
      await producer.send(new Message('Orders', Buffer.from('o-2')), { selector: (mqs) => (selected.push(...mqs.map((q) => q.topic)), mqs[1]!) });
      expect(new Set(selected)).toEqual(new Set(['Orders']));
      expect((await producer.fetchPublishMessageQueues('Orders')).map((q) => q.topic)).toEqual(['Orders', 'Orders']);
      // The broker stores them under the namespaced topic.
      expect((await admin.examineTopicStats('tenantA%Orders')).reduce((n, o) => n + o.maxOffset, 0)).toBe(2);

      await consumer.start();
      await pollUntil(() => seen.length >= 3, 20_000, 'both messages and the redelivery').catch((e: Error) => {
        throw new Error(`${e.message}: ${JSON.stringify(seen.map((m) => [m.topic, m.body.toString(), m.reconsumeTimes]))}`);
      });
      expect(seen.map((m) => m.topic)).toEqual(['Orders', 'Orders', 'Orders']);
      expect(seen.filter((m) => m.body.toString() === 'o-1').map((m) => m.reconsumeTimes).sort()).toEqual([0, 1]);
      // The broker knows the group by its namespaced name, and its retry topic as %RETRY%ns%group.
      const conn = await admin.examineConsumerConnectionInfo('tenantA%OrderGroup');
      expect(Object.keys(conn.subscriptionTable ?? {}).sort()).toEqual(['%RETRY%tenantA%OrderGroup', 'tenantA%Orders']);
    } finally {
      await consumer.shutdown();
      await producer.shutdown();
    }
  });

  it('pull and lite pull consumers name plain queues and hand back plain topics; another namespace sees nothing', async () => {
    const pull = new PullConsumer({ ...opts(), consumerGroup: 'PullGroup' });
    await pull.start();
    try {
      const mqs = await pull.fetchSubscribeMessageQueues('Orders');
      expect(mqs.map((q) => q.topic)).toEqual(['Orders', 'Orders']);
      const found: MessageExt[] = [];
      for (const mq of mqs) found.push(...(await pull.pull(mq, '*', 0, 32)).msgFoundList);
      expect(found.map((m) => [m.topic, m.body.toString()]).sort()).toEqual([['Orders', 'o-1'], ['Orders', 'o-2']]);
      expect(await pull.maxOffset(mqs[0]!)).toBeGreaterThanOrEqual(0);
    } finally {
      await pull.shutdown();
    }
    const lite = new LitePullConsumer({ ...opts(), consumerGroup: 'LiteGroup', consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET' });
    lite.subscribe('Orders');
    await lite.start();
    try {
      const got: MessageExt[] = [];
      await pollUntil(async () => (got.push(...(await lite.poll(200))), got.length >= 2), 15_000, 'the lite pull messages');
      expect(got.map((m) => m.topic)).toEqual(['Orders', 'Orders']);
    } finally {
      await lite.shutdown();
    }
    // Tenant B's "Orders" is another topic altogether.
    const other = new PullConsumer({ ...opts(), namespace: 'tenantB', consumerGroup: 'PullGroup' });
    await other.start();
    try {
      await expect(other.fetchSubscribeMessageQueues('Orders')).rejects.toThrow(/Can not find Message Queue for this topic, Orders/);
    } finally {
      await other.shutdown();
    }
  });
});
