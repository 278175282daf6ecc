/**
 * Issue 3's benchmark: 1 KiB appends with consume-queue/index dispatch inline on the append path
 * versus in worker threads (SharedArrayBuffer rings), with the index on and off, in one run.
 * Reports append throughput, dispatch lag (append call -> unit visible to pulls) p50/p99 under
 * full load, and ring stalls.
 *
 *   node dist/bench/store-dispatch.js [--messages N] [--quick] [--store-prop KEY=VALUE ...]
 *
 * The 64 appenders yield to the event loop every 128 appends, as a broker does between socket
 * reads; without that, a pure microtask loop would never let visibility catch up.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DefaultMessageStore, storeConfig } from '../src/store/index.js';
import { WorkerDispatcher } from '../src/workers/worker-dispatcher.js';
import { WorkerPagePopulator } from '../src/workers/page-populator.js';
import { argFlag, argNumber, argProps, gc, percentile, printJson, printTable, yieldToLoop, type Result } from './report.js';

const argv = process.argv.slice(2);
const QUICK = argFlag(argv, 'quick');
// The 1 GiB of 1 KiB messages of the store throughput run (bench/store.ts), as issue 3 asks.
const N = argNumber(argv, 'messages', QUICK ? 20_000 : 1 << 20);
const STORE_PROPS = argProps(argv, 'store-prop');
const QUEUES = 8;
const APPENDERS = 64;
const BODY = Buffer.alloc(1024, 0x61);

interface RunResult {
  msgsPerSec: number;
  lagP50Ms: number;
  lagP99Ms: number;
  ringStalls: number;
}

async function run(workers: boolean, index: boolean): Promise<RunResult> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-dispatch-'));
  const props = { ...STORE_PROPS, storePathRootDir: dir, messageIndexEnable: String(index), flushDiskType: 'ASYNC_FLUSH' };
  const cfg = storeConfig(new Map(Object.entries(props)), { warn: console.error });
  const remote = workers ? new WorkerDispatcher() : undefined;
  // Both modes run with the page populator a broker process has, so page allocation (the largest
  // cost of an append on a VM) does not drown the difference dispatch makes.
  const store = new DefaultMessageStore(cfg, { remoteDispatcher: remote, pagePopulator: new WorkerPagePopulator() });
  await store.start();
  const sentAt = new Float64Array(N);
  const lags = new Float64Array(N);
  let arrived = 0;
  store.setMessageArrivingListener((_topic, queueId, next) => {
    const seq = (next - 1) * QUEUES + queueId;
    lags[arrived++] = performance.now() - sentAt[seq]!;
  });
  let seq = 0;
  const appender = async (): Promise<void> => {
    for (let k = 1; seq < N; k++) {
      const n = seq++;
      sentAt[n] = performance.now();
      // The same messages with the index on and off: the switch is what is measured.
      const props = `TAGS\u0001TagA\u0002KEYS\u0001order-${n}\u0002UNIQ_KEY\u0001U${n}`;
      await store.putMessage({ topic: 'BenchTopic', queueId: n % QUEUES, body: BODY, properties: props });
      if (k % 128 === 0) await yieldToLoop();
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: APPENDERS }, appender));
  await store.whenDispatched(store.getMaxPhyOffset(), 60_000);
  const secs = (performance.now() - t0) / 1000;
  const ringStalls = Number(store.runtimeInfo().dispatchRingStalls ?? 0);
  await store.shutdown();
  rmSync(dir, { recursive: true, force: true });
  const sorted = lags.subarray(0, arrived).sort();
  gc();
  return { msgsPerSec: N / secs, lagP50Ms: percentile(sorted, 50), lagP99Ms: percentile(sorted, 99), ringStalls };
}

const results: Record<string, RunResult> = {};
for (const index of [true, false]) {
  for (const workers of [false, true]) {
    results[`${workers ? 'workers' : 'inline'}-${index ? 'index' : 'noindex'}`] = await run(workers, index);
  }
}

const rows: Result[] = [];
for (const index of ['index', 'noindex']) {
  const inline = results[`inline-${index}`]!;
  const work = results[`workers-${index}`]!;
  const suffix = index === 'index' ? '' : '-noindex';
  rows.push({ bench: `store-append-dispatch-inline${suffix}`, messages: N, ...inline });
  rows.push({ bench: `store-append-dispatch-workers${suffix}`, messages: N, ...work, ratioToInline: work.msgsPerSec / inline.msgsPerSec });
}
rows.push({
  bench: 'store-append-index-on',
  inlineRatioToIndexOff: results['inline-index']!.msgsPerSec / results['inline-noindex']!.msgsPerSec,
  workersRatioToIndexOff: results['workers-index']!.msgsPerSec / results['workers-noindex']!.msgsPerSec,
});
printTable(`dispatch inline vs in workers (${N} x 1 KiB, ${APPENDERS} appenders)`, rows);
for (const r of rows) printJson(r, ['src', 'bench']);
