/**
 * Consumption benchmark (`npm run bench:consume`): how fast push consumers drain a backlog, the
 * figure RocketMQ's own numbers give for a push consumer (fixtures: >= 115,000 msgs/s with 20
 * threads on this machine). A NameServer and a broker start as child processes (ASYNC_FLUSH),
 * `--messages N` (200000) of `--size` bytes (1024) are stored first with batch sends over
 * `--queues Q` (8), then `--consumers C` (1) push consumers of one group, `consumeThreadMax`
 * `--threads T` (20), consume them all from the first offset.
 *
 * Prints a table and one JSON line
 * `{"bench":"e2e-consume","msgsPerSec":…,"seconds":…,"messages":…,"consumers":…,"threads":…}`;
 * msgsPerSec counts from the consumers' start to the last message in a listener.
 */
import { randomBytes } from 'node:crypto';
import { MQAdmin, Message, Producer, PushConsumer } from '../src/net/client/index.js';
import { silentLogger } from '../src/net/logger.js';
import { startLocalCluster } from '../src/tools/local-cluster.js';
import { argNumber, argValue, checkArgs, printJson, printTable, round } from './report.js';
import { CONSUMER_OPTIONS, fromRocketmqOptions } from './rocketmq-options.js';

const USAGE = `usage: npm run bench:consume -- [--messages N] [--size BYTES] [--queues Q] [--consumers C] [--threads T] [--batch B] [--topic T]
Stores N messages (default 200000), then times push consumers draining them. RocketMQ's benchmark
Consumer options -t TOPIC and -w THREADS stand for --topic and --threads.`;

async function main(): Promise<void> {
  const raw = process.argv.slice(2);
  if (raw.includes('--help') || raw.includes('-h')) return void console.log(USAGE);
  const argv = fromRocketmqOptions(raw, USAGE, CONSUMER_OPTIONS);
  checkArgs(argv, USAGE, { valued: ['messages', 'size', 'queues', 'consumers', 'threads', 'batch', 'topic'] });
  const messages = argNumber(argv, 'messages', 200_000);
  const size = argNumber(argv, 'size', 1024);
  const queues = argNumber(argv, 'queues', 8);
  const consumerCount = argNumber(argv, 'consumers', 1);
  const threads = argNumber(argv, 'threads', 20);
  const batch = argNumber(argv, 'batch', 32);
  const topic = argValue(argv, 'topic') ?? 'ConsumeBench';
  const cluster = await startLocalCluster({
    flushDiskType: 'ASYNC_FLUSH',
    onLine: (who, line) => / (WARN|ERROR) /.test(line) && console.error(`[${who}] ${line}`),
    brokerNodeArgs: (process.env.BENCH_BROKER_NODE_ARGS ?? '').split(' ').filter(Boolean),
  });
  const consumers: PushConsumer[] = [];
  try {
    const admin = new MQAdmin({ namesrvAddr: cluster.namesrvAddr, logger: silentLogger });
    await admin.start();
    try {
      await admin.createTopic({ brokerAddr: cluster.brokerAddr }, { topicName: topic, readQueueNums: queues, writeQueueNums: queues });
      while (!(await admin.examineTopicRouteInfo(topic).then((r) => r.queueDatas.length > 0, () => false))) await new Promise((r) => setTimeout(r, 20));
    } finally {
      await admin.shutdown();
    }
    // The backlog: batches round-robin over the queues, 64 in flight.
    const producer = new Producer({ producerGroup: 'CONSUME_BENCH_PG', namesrvAddr: cluster.namesrvAddr, logger: silentLogger });
    await producer.start();
    const body = randomBytes(size);
    const loadStart = performance.now();
    let stored = 0;
    const sendNext = async (): Promise<void> => {
      while (stored < messages) {
        const n = Math.min(batch, messages - stored);
        stored += n;
        await producer.sendBatch(Array.from({ length: n }, () => new Message(topic, body)));
      }
    };
    await Promise.all(Array.from({ length: 64 }, sendNext));
    await producer.shutdown();
    const loadSeconds = (performance.now() - loadStart) / 1000;

    let consumed = 0;
    let lastAt = 0;
    let done!: () => void;
    const allIn = new Promise<void>((r) => (done = r));
    const start = performance.now();
    for (let i = 0; i < consumerCount; i++) {
      const c = new PushConsumer({ consumerGroup: 'CONSUME_BENCH_CG', namesrvAddr: cluster.namesrvAddr, logger: silentLogger, consumeFromWhere: 'CONSUME_FROM_FIRST_OFFSET', consumeThreadMax: threads });
      c.subscribe(topic, '*').registerMessageListener((msgs) => {
        consumed += msgs.length;
        lastAt = performance.now();
        if (consumed >= messages) done();
      });
      await c.start();
      consumers.push(c);
    }
    const timeout = new Promise<void>((r) => setTimeout(r, 120_000).unref());
    await Promise.race([allIn, timeout]);
    const seconds = ((lastAt || performance.now()) - start) / 1000;
    const msgsPerSec = round(consumed / seconds);
    printTable('Push consumer drain', [{ messages, consumed, consumers: consumerCount, threads, seconds: round(seconds), msgsPerSec, loadMsgsPerSec: round(messages / loadSeconds) }]);
    printJson({ bench: 'e2e-consume', msgsPerSec, seconds: round(seconds), messages, consumed, consumers: consumerCount, threads, sizeBytes: size, queues }, ['src', 'bench']);
    if (consumed < messages) throw new Error(`only ${consumed} of ${messages} consumed in 120 s`);
  } finally {
    for (const c of consumers) await c.shutdown().catch(() => undefined);
    await cluster.stop();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`bench failed: ${(err as Error).stack ?? String(err)}`);
    process.exit(1);
  },
);
