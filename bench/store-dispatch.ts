/**
 * Issue 3's benchmark: 1 KiB appends with consume-queue/index dispatch inline on the append path
 * versus in worker threads (SharedArrayBuffer rings), with the index on and off, in one run.
 * Reports append throughput, dispatch lag (append call -> unit visible to pulls) p50/p99 under
 * full load, and ring stalls.
 *
 *   node dist/bench/store-dispatch.js [--messages N] [--quick] [--store-prop KEY=VALUE ...]
 *     [--runs inline,workers,inline-noindex,workers-noindex]   (a subset, e.g. to profile one)
 *     [--repeat N]   (N rounds of the runs, interleaved; each row is the median round's run)
 *
 * On the bench VM one pass moves 20-40% between runs minutes apart (how much fresh memory the
 * host must back, other tenants), which is more than the effects measured here. With --repeat
 * each ratio is the median of ratios taken within a round, between runs seconds apart, and the
 * rows carry the rate's min and max over the rounds.
 *
 * The 64 appenders yield to the event loop every 128 appends, as a broker does between socket
 * reads; without that, a pure microtask loop would never let visibility catch up.
 *
 * Each run also reports CPU time and run-queue wait per thread (bench/thread-times.ts): on a
 * machine whose cores are all busy, the wait is what the lag tail and the workers/inline ratio
 * are made of.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DefaultMessageStore, storeConfig } from '../src/store/index.js';
import { WorkerDispatcher } from '../src/workers/worker-dispatcher.js';
import { WorkerPagePopulator } from '../src/workers/page-populator.js';
import { threadSnapshot, threadUsage, usageFields } from './thread-times.js';
import { argFlag, argNumber, argProps, argValue, checkArgs, gc, percentile, printJson, printTable, yieldToLoop, type Result } from './report.js';

const USAGE = `usage: npm run bench:dispatch -- [--messages N] [--quick] [--store-prop KEY=VALUE]...
       [--runs inline,workers,inline-noindex,workers-noindex] [--repeat N]
1 KiB appends with consume queue and index dispatch inline and in worker threads: rates, dispatch
lag p50/p99 and ring stalls. One JSON line per run.`;
const argv = process.argv.slice(2);
// Started by bench:store with its own command line too: its options pass.
checkArgs(argv, USAGE, { valued: ['messages', 'store-prop', 'runs', 'repeat', 'gib', 'segment-mib', 'sync-seconds', 'sync-max', 'micro-ms', 'window', 'phases'], flags: ['quick', 'no-threads'] });
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
  threads: Record<string, number>;
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
  const before = threadSnapshot();
  const t0 = performance.now();
  await Promise.all(Array.from({ length: APPENDERS }, appender));
  await store.whenDispatched(store.getMaxPhyOffset(), 60_000);
  const secs = (performance.now() - t0) / 1000;
  // Before shutdown: the workers' threads must still be there to be counted.
  const threads = usageFields(threadUsage(before, threadSnapshot()));
  const ringStalls = Number(store.runtimeInfo().dispatchRingStalls ?? 0);
  await store.shutdown();
  rmSync(dir, { recursive: true, force: true });
  const sorted = lags.subarray(0, arrived).sort();
  gc();
  return { msgsPerSec: N / secs, lagP50Ms: percentile(sorted, 50), lagP99Ms: percentile(sorted, 99), ringStalls, threads };
}

/** Run names as printed, minus the common prefix: inline, workers, inline-noindex, workers-noindex. */
const RUNS = ['inline', 'workers', 'inline-noindex', 'workers-noindex'];
const wanted = (argValue(argv, 'runs') ?? RUNS.join(',')).split(',');
for (const w of wanted) {
  if (RUNS.includes(w)) continue;
  console.error(`--runs: unknown run ${w} (known: ${RUNS.join(', ')})`);
  process.exit(2);
}
const REPEAT = argNumber(argv, 'repeat', 1);
if (!Number.isInteger(REPEAT)) {
  console.error(`--repeat: a whole number of rounds, got ${REPEAT}`);
  process.exit(2);
}
/** Per run name, one result per round. */
const rounds = new Map<string, RunResult[]>();
for (let round = 0; round < REPEAT; round++) {
  // Index on first, inline before workers: the order the ratios were always measured in.
  for (const name of RUNS) {
    if (!wanted.includes(name)) continue;
    const r = await run(name.startsWith('workers'), !name.endsWith('-noindex'));
    rounds.set(name, [...(rounds.get(name) ?? []), r]);
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
/** Rate ratio a/b taken within each round: the median, and with repeats the range. */
function ratio(a: string, b: string, key: string): Record<string, number> {
  const x = rounds.get(a);
  const y = rounds.get(b);
  if (!x || !y) return {};
  const each = x.map((r, i) => r.msgsPerSec / y[i]!.msgsPerSec);
  return { [key]: median(each), ...(REPEAT > 1 ? { [`${key}Min`]: Math.min(...each), [`${key}Max`]: Math.max(...each) } : {}) };
}

const rows: Result[] = [];
const threadRows: Result[] = [];
for (const [name, all] of rounds) {
  const bench = `store-append-dispatch-${name}`;
  const inline = name.replace('workers', 'inline');
  const rates = all.map((r) => r.msgsPerSec);
  // The median round's run, whole: its lag and CPU figures belong to the rate shown.
  const { threads, ...r } = all.find((x) => x.msgsPerSec === median(rates))!;
  const spread = REPEAT > 1 ? { repeats: REPEAT, msgsPerSecMin: Math.min(...rates), msgsPerSecMax: Math.max(...rates) } : {};
  rows.push({ bench, messages: N, ...r, ...spread, ...(name !== inline ? ratio(name, inline, 'ratioToInline') : {}) });
  threadRows.push({ bench, ...threads });
}
if (rounds.size === RUNS.length) {
  rows.push({
    bench: 'store-append-index-on',
    ...ratio('inline', 'inline-noindex', 'inlineRatioToIndexOff'),
    ...ratio('workers', 'workers-noindex', 'workersRatioToIndexOff'),
  });
}
printTable(`dispatch inline vs in workers (${N} x 1 KiB, ${APPENDERS} appenders)`, rows);
printTable('CPU per thread during each run (ms on a CPU / ms runnable but waiting for one; machineBusy: share of both cores busy)', threadRows);
for (const r of rows) printJson({ ...r, ...threadRows.find((t) => t.bench === r.bench) }, ['src', 'bench']);
