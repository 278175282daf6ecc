import { Bench, type Task } from 'tinybench';
import { decodeMessage, encodeMessage, type DefaultMessageStore, type HostAddress, type MessageInput } from '../src/store/index.js';
import { RssSampler, checkPut, type Result } from './report.js';

/** What the micro-benchmarks need from the store benchmark's setup. */
export interface MicroSetup {
  microMs: number;
  quick: boolean;
  queues: number;
  topic: string;
  messages: MessageInput[];
  topicBytes: number;
  propsBytes: number;
  recordSize: number;
  storeHost: HostAddress;
  newStore(): DefaultMessageStore;
  log(m: string): void;
}

/** tinybench micro-benchmarks: encode, decode, read (getMessage of 1), append (ASYNC_FLUSH). */
export async function microBenchmarks(m: MicroSetup): Promise<Result[]> {
  const { microMs: ms, quick, queues: QUEUES, topic: TOPIC, messages, topicBytes, propsBytes, recordSize: RECORD_SIZE, storeHost, log } = m;
  const opts = { microMs: ms };
  log(`micro-benchmarks (${opts.microMs} ms each)`);
  const store = m.newStore();
  await store.start();
  const rss = new RssSampler().start();
  // A filled queue to read from.
  const fill = quick ? 2_048 : 16_384;
  for (let i = 0; i < fill; i++) checkPut(await store.putMessage(messages[i % QUEUES]!));
  const perQueue = fill / QUEUES;
  const stored = store.selectOneMessageByOffset(0);
  if (!stored) throw new Error('record at offset 0 not found');
  const encodeTarget = Buffer.alloc(RECORD_SIZE * 2);
  const fields = { queueOffset: 12345, physicalOffset: 67890, storeTimestamp: Date.now(), storeHost };

  let sink = 0;
  let readAt = 0;
  let appendAt = 0;
  const bench = new Bench({ time: opts.microMs, warmupTime: Math.min(200, opts.microMs / 2) });
  bench
    .add('micro-encode', () => {
      sink += encodeMessage(encodeTarget, 0, messages[0]!, topicBytes, propsBytes, fields);
    })
    .add('micro-decode', () => {
      sink += decodeMessage(stored, 0).queueOffset;
    })
    .add('micro-read', () => {
      const n = readAt++;
      const r = store.getMessage('BenchGroup', TOPIC, n % QUEUES, Math.floor(n / QUEUES) % perQueue, 1, null);
      if (r.status !== 'FOUND') throw new Error(`getMessage returned ${r.status}`);
      sink += r.messages.length;
    })
    .add('micro-append', async () => {
      checkPut(await store.putMessage(messages[appendAt++ % QUEUES]!));
    });
  await bench.run();
  const { peakMB, endMB } = rss.stop();
  await store.shutdown();
  if (sink === -1) log('unreachable');
  return bench.tasks.map((task) => microResult(task, peakMB, endMB));
}

function microResult(task: Task, peakMB: number, endMB: number): Result {
  const r = task.result;
  if (r.state !== 'completed') throw new Error(`${task.name}: ${r.state}${'error' in r ? `: ${String(r.error)}` : ''}`);
  // 1 / mean latency is the honest per-op rate; throughput.mean (mean of per-sample rates) runs high.
  return {
    bench: task.name,
    opsPerSec: 1000 / r.latency.mean,
    meanNs: r.latency.mean * 1e6,
    p99Ns: r.latency.p99 * 1e6,
    samples: r.latency.samplesCount,
    rssAnonPeakMB: peakMB,
    rssAnonEndMB: endMB,
  };
}
