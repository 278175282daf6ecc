/**
 * Store benchmark (issue 2, `npm run bench:store`):
 *
 *   1. tinybench micro-benchmarks: encode, decode, read (getMessage of 1), append (ASYNC_FLUSH).
 *   2. Throughput: append `--gib` GiB of 1 KiB bodies (BenchTopic, 8 queues round-robin, TAGS)
 *      under ASYNC_FLUSH, each put awaited; and the raw baseline: the same records copied into
 *      mappings of segment-sized files with no encoding. ratioToRaw = store rate / raw rate.
 *   3. SYNC_FLUSH with 64 concurrent appenders (each awaiting its put), bounded by time and
 *      count; ratioToAsync = its rate / the ASYNC_FLUSH rate. Its disk baseline: rounds of 64
 *      raw record copies made durable by one O_DSYNC write (what perfect group commit could reach).
 *   3b. Restart of the async store just written, as a broker opens it: after its clean stop, and
 *      after a simulated crash (the abort marker put back). `store-restart-clean`/`-crash` ms.
 *   4. RssAnon sampled every 100 ms per phase (mapped file pages are not anonymous memory), with
 *      the value after 1/4 and after all of the async data, so growth shows.
 *
 * A store and its baseline run interleaved in slices, so the background load of a shared
 * machine hits both alike. Output: tables, then one JSON line per result tagged with the git
 * commit. Flags:
 *   --gib N (1)  --quick (64 MiB, short phases)  --segment-mib N (1024; quick 64)
 *   --sync-seconds N (10; quick 1.5)  --sync-max N (200000; quick 20000)  --micro-ms N (1000; quick 150)
 *   --window N (puts in flight in the async phase; 1 = await each put, the default and fastest)
 *   --phases micro,async,sync (a subset, e.g. for profiling one phase)
 *   --store-prop KEY=VALUE (repeatable: store config for every phase)
 *   --no-threads (skip the ASYNC_FLUSH run with the broker's page populator thread)
 * Everything lives in a temp dir under os.tmpdir(), removed at the end.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  DefaultMessageStore,
  calMsgLength,
  decodeMessage,
  encodeMessage,
  parseHostAddress,
  storeConfig,
  type MessageInput,
  type PutMessageResult,
} from '../src/store/index.js';
import { storeThreadsFor } from '../src/workers/store-threads.js';
import { RawLog } from './raw-log.js';
import { microBenchmarks } from './store-micro.js';
import { sync64Benchmark } from './store-sync64.js';
import { restartBenchmark } from './store-restart.js';
import { MB, RssSampler, argFlag, argNumber, argProps, argValue, checkArgs, checkPut, gc, printJson, printTable, rssAnonBytes, yieldToLoop, type Result } from './report.js';

const GIB = 1024 * 1024 * 1024;
const TOPIC = 'BenchTopic';
const QUEUES = 8;
const BODY_SIZE = 1024;
const PROPS = 'TAGS\u0001TagA';
const STORE_HOST = '127.0.0.1:10911';
/** Messages between yields to the event loop (lets timers run: the store's flusher, the RSS sampler). */
const YIELD_EVERY = 4096;
/** Interleaving: slices per throughput phase. */
const ASYNC_SLICES = 8;
/** `--dirty` tagging looks at what this benchmark exercises. */
const DIRTY_PATHS = ['src/store', 'bench'];

const USAGE = `usage: npm run bench:store -- [--quick] [--gib N] [--segment-mib N] [--sync-seconds N] [--sync-max N]
       [--micro-ms N] [--window N] [--phases micro,async,sync] [--store-prop KEY=VALUE]... [--no-threads]
       [--runs inline,workers,...] [--repeat N] [--messages N]   (for the dispatch runs that follow)
Appends 1 GiB of 1 KiB messages under ASYNC_FLUSH against a raw copy, then SYNC_FLUSH with 64
appenders, then restarts; then bench/store-dispatch.ts. One JSON line per result.`;
const argv = process.argv.slice(2);
// The script runs both benchmarks with one command line: the dispatch benchmark's options pass.
checkArgs(argv, USAGE, { valued: ['gib', 'segment-mib', 'sync-seconds', 'sync-max', 'micro-ms', 'window', 'phases', 'store-prop', 'runs', 'repeat', 'messages'], flags: ['quick', 'no-threads'] });
const quick = argFlag(argv, 'quick');
const opts = {
  gib: argNumber(argv, 'gib', quick ? 1 / 16 : 1),
  segmentBytes: Math.round(argNumber(argv, 'segment-mib', quick ? 64 : 1024) * MB),
  syncSeconds: argNumber(argv, 'sync-seconds', quick ? 1.5 : 10),
  syncMax: Math.floor(argNumber(argv, 'sync-max', quick ? 20_000 : 200_000)),
  microMs: argNumber(argv, 'micro-ms', quick ? 150 : 1000),
  window: Math.floor(argNumber(argv, 'window', 1)),
  phases: new Set((argValue(argv, 'phases') ?? 'micro,async,sync').split(',')),
  /** `--store-prop KEY=VALUE` (repeatable): store config for every phase, e.g. transientStorePoolEnable=true. */
  storeProps: argProps(argv, 'store-prop'),
  threads: !argFlag(argv, 'no-threads'),
};

for (const p of opts.phases) {
  if (p === 'micro' || p === 'async' || p === 'sync') continue;
  console.error(`--phases: unknown phase ${p} (known: micro, async, sync)\n${USAGE}`);
  process.exit(2);
}

const topicBytes = Buffer.byteLength(TOPIC);
const propsBytes = Buffer.byteLength(PROPS);
const RECORD_SIZE = calMsgLength(0, BODY_SIZE, topicBytes, propsBytes);
const body = randomBytes(BODY_SIZE);
const messages: MessageInput[] = Array.from({ length: QUEUES }, (_, q) => ({ topic: TOPIC, queueId: q, body, properties: PROPS }));
const storeHost = parseHostAddress(STORE_HOST);

const root = mkdtempSync(join(tmpdir(), 'rmq-bench-store-'));
const results: Result[] = [];
const log = (m: string) => process.stderr.write(`[bench:store] ${m}\n`);

/** A store; `threads`: with the helper threads a broker gives it (storeThreadsFor). */
function newStore(name: string, flushDiskType: 'ASYNC_FLUSH' | 'SYNC_FLUSH', threads = false): DefaultMessageStore {
  const cfg = storeConfig(new Map(Object.entries({ ...opts.storeProps, storePathRootDir: join(root, name), mappedFileSizeCommitLog: String(opts.segmentBytes), flushDiskType })), { warn: log });
  const helpers = threads ? storeThreadsFor(cfg, { error: log }) : {};
  return new DefaultMessageStore(cfg, { storeHost: STORE_HOST, ...helpers });
}

const mbPerSec = (msgsPerSec: number) => (msgsPerSec * RECORD_SIZE) / 1e6;

function rawLog(name: string): RawLog {
  const record = Buffer.alloc(RECORD_SIZE);
  encodeMessage(record, 0, messages[0]!, topicBytes, propsBytes, { queueOffset: 0, physicalOffset: 0, storeTimestamp: Date.now(), storeHost });
  return new RawLog(join(root, name), record, opts.segmentBytes);
}

// ---------------------------------------------------------------------------------------------
// Raw baseline: pre-encoded records copied into mapped, pre-sized segment files.

// ---------------------------------------------------------------------------------------------
// 2. Throughput: ASYNC_FLUSH store and raw copy, interleaved in slices

/** One appender in the interleaved ASYNC_FLUSH run. */
interface Runner {
  name: string;
  store: DefaultMessageStore | null;
  done: number;
  ms: number;
  rss: RssSampler;
  quarterMB: number;
  quarterPeakMB: number;
}

async function throughput(count: number): Promise<Result[]> {
  log(
    `ASYNC_FLUSH append vs raw copy: ${count} messages (${((count * RECORD_SIZE) / GIB).toFixed(2)} GiB of ${RECORD_SIZE}-byte records) each, ` +
      `${ASYNC_SLICES} interleaved slices, window ${opts.window}`,
  );
  const runner = (name: string, store: DefaultMessageStore | null): Runner => ({ name, store, done: 0, ms: 0, rss: new RssSampler().start().pause(), quarterMB: 0, quarterPeakMB: 0 });
  // The store as a library gives it (no helper threads), and as the broker runs it (a page
  // populator thread faulting the commit log in ahead of the writer, from the other core).
  const runners = [runner('raw', null), runner('store-append-async', newStore('async', 'ASYNC_FLUSH', false))];
  if (opts.threads) runners.push(runner('store-append-async-populator', newStore('async-populator', 'ASYNC_FLUSH', true)));
  for (const r of runners) await r.store?.start();
  const raw = rawLog('raw');
  const quarter = Math.floor(count / 4);
  gc();
  for (let s = 1; s <= ASYNC_SLICES; s++) {
    const end = Math.floor((count * s) / ASYNC_SLICES);
    // Rotate who goes first, so none always runs right after another's page faults.
    for (let k = 0; k < runners.length; k++) {
      const r = runners[(s + k) % runners.length]!;
      r.rss.resume();
      const t0 = performance.now();
      if (r.store) await appendUntil(r, end, quarter);
      else {
        for (; r.done < end; ) {
          raw.append();
          if (++r.done % YIELD_EVERY === 0) await yieldToLoop();
        }
      }
      r.ms += performance.now() - t0;
      r.rss.pause();
    }
  }
  raw.close();
  const rawRate = (count * 1000) / runners[0]!.ms;
  const results: Result[] = [];
  for (const r of runners) {
    const mem = r.rss.stop();
    const rate = (count * 1000) / r.ms;
    if (r.store) {
      verify(r.store, count);
      await r.store.shutdown();
    }
    results.push({
      bench: r.store ? r.name : 'store-append-raw',
      msgsPerSec: rate,
      mbPerSec: mbPerSec(rate),
      ...(r.store ? { ratioToRaw: rate / rawRate } : {}),
      seconds: r.ms / 1000,
      messages: count,
      ...(r.store ? { window: opts.window } : {}),
      rssAnonPeakMB: mem.peakMB,
      ...(r.store ? { rssAnonQuarterMB: r.quarterMB, rssAnonPeakAtQuarterMB: r.quarterPeakMB } : {}),
      rssAnonEndMB: mem.endMB,
    });
  }
  return results;
}

async function appendUntil(r: Runner, end: number, quarter: number): Promise<void> {
  const store = r.store!;
  const window = opts.window;
  const pending: Promise<PutMessageResult>[] = [];
  for (; r.done < end; ) {
    const msg = messages[r.done % QUEUES]!;
    if (window === 1) checkPut(await store.putMessage(msg));
    else {
      pending.push(store.putMessage(msg));
      if (pending.length === window) {
        for (const p of pending) checkPut(await p);
        pending.length = 0;
      }
    }
    if (++r.done % YIELD_EVERY === 0) await yieldToLoop();
    if (r.done === quarter) {
      r.quarterMB = r.rss.sample() / MB;
      r.quarterPeakMB = r.rss.peak / MB;
    }
  }
  for (const p of pending) checkPut(await p);
  // Timed too: with transientStorePoolEnable a put is acknowledged from the staging buffer, and
  // the slice is only done once its records are in the file and readable.
  if (!(await store.whenDispatched(store.getMaxPhyOffset(), 60_000))) throw new Error(`${r.name}: appends not readable within 60 s`);
}

/** The numbers are only worth printing if the store holds what was appended. */
function verify(store: DefaultMessageStore, count: number): void {
  for (let q = 0; q < QUEUES; q++) {
    const expected = Math.floor(count / QUEUES) + (q < count % QUEUES ? 1 : 0);
    const max = store.getMaxOffsetInQueue(TOPIC, q);
    if (max !== expected) throw new Error(`queue ${q} holds ${max} messages, expected ${expected}`);
  }
  const last = store.getMessage('BenchGroup', TOPIC, (count - 1) % QUEUES, Math.floor((count - 1) / QUEUES), 1, null);
  if (last.status !== 'FOUND' || last.messages.length !== 1) throw new Error(`last message not readable: ${last.status}`);
  const m = decodeMessage(last.messages[0]!, 0);
  if (!m.body.equals(body) || m.topic !== TOPIC || m.properties.TAGS !== 'TagA') throw new Error('last message decoded wrong');
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const count = Math.max(QUEUES, Math.floor((opts.gib * GIB) / BODY_SIZE));
  log(`temp dir ${root}; RssAnon at start ${(rssAnonBytes() / MB).toFixed(1)} MiB`);
  // Stores are deleted only at the end: on a filesystem mounted with `discard`, deleting a
  // flushed gigabyte queues TRIMs that would slow the next phase's fdatasyncs.
  if (opts.phases.has('micro')) {
    results.push(
      ...(await microBenchmarks({
        microMs: opts.microMs,
        quick,
        queues: QUEUES,
        topic: TOPIC,
        messages,
        topicBytes,
        propsBytes,
        recordSize: RECORD_SIZE,
        storeHost,
        newStore: () => newStore('micro', 'ASYNC_FLUSH'),
        log,
      })),
    );
    gc();
  }
  let asyncResult: Result | null = null;
  let populated: Result | null = null;
  if (opts.phases.has('async')) {
    const r = await throughput(count);
    asyncResult = r.find((x) => x.bench === 'store-append-async')!;
    populated = r.find((x) => x.bench === 'store-append-async-populator') ?? null;
    results.push(...r);
    gc();
    // The store just written (about 1 GiB), opened again as a broker opens it.
    results.push(...(await restartBenchmark(() => newStore('async', 'ASYNC_FLUSH', true), join(root, 'async'), log)));
    gc();
  }
  let syncResult: Result | null = null;
  if (opts.phases.has('sync')) {
    const r = await sync64Benchmark(
      {
        maxMessages: opts.syncMax,
        seconds: opts.syncSeconds,
        messages,
        newStore: () => newStore('sync', 'SYNC_FLUSH'),
        rawLog: () => rawLog('rawsync'),
        mbPerSec,
        log,
      },
      (asyncResult?.msgsPerSec as number | undefined) ?? NaN,
      (populated?.msgsPerSec as number | undefined) ?? NaN,
    );
    syncResult = r.store;
    results.push(r.raw, r.store);
    gc();
  }
  report(asyncResult, syncResult);
}

function report(asyncResult: Result | null, syncResult: Result | null): void {
  const pick = (r: Result, keys: string[]) => Object.fromEntries([['bench', r.bench], ...keys.map((k) => [k, r[k]])]);
  const micros = results.filter((r) => r.bench.startsWith('micro-'));
  if (micros.length > 0) {
    printTable('Micro-benchmarks (ns per op; RssAnon in MiB)', micros.map((r) => pick(r, ['opsPerSec', 'meanNs', 'p99Ns', 'samples', 'rssAnonPeakMB'])));
  }
  const runs = results.filter((r) => r.bench.startsWith('store-append'));
  if (runs.length > 0) {
    printTable(
      `Throughput (${opts.gib} GiB of ${BODY_SIZE}-byte bodies in ${RECORD_SIZE}-byte records, ${opts.segmentBytes / MB} MiB segments; ` +
        'MB = 10^6 bytes of records; RssAnon in MiB)',
      runs.map((r) =>
        pick(r, ['msgsPerSec', 'mbPerSec', 'ratioToRaw', 'ratioToAsync', 'ratioToAsyncPopulator', 'ratioToRawSync', 'avgMs', 'p99Ms', 'seconds', 'messages', 'rssAnonPeakMB', 'rssAnonEndMB']),
      ),
    );
  }
  const restarts = results.filter((r) => r.bench.startsWith('store-restart'));
  if (restarts.length > 0) printTable('Restart of the async store (ms from construction to start() resolved)', restarts.map((r) => pick(r, ['ms', 'storeBytes', 'redispatched', 'pooled'])));
  if (asyncResult) {
    printTable('RssAnon during the ASYNC_FLUSH append (MiB)', [
      { point: 'after 1/4 of the data', rssAnon: asyncResult.rssAnonQuarterMB, peakSoFar: asyncResult.rssAnonPeakAtQuarterMB },
      { point: 'after all of the data', rssAnon: asyncResult.rssAnonEndMB, peakSoFar: asyncResult.rssAnonPeakMB },
    ]);
  }
  // (Both async stores run in this process: RssAnon is the process's, shared by them.)
  const targets: Record<string, unknown>[] = [];
  const target = (name: string, value: unknown, min: number) => {
    if (typeof value === 'number' && Number.isFinite(value)) targets.push({ target: name, value, ok: value >= min ? 'yes' : 'NO' });
  };
  target('async append >= 0.5 of raw', asyncResult?.ratioToRaw, 0.5);
  target('async append with populator >= 0.5 of raw', results.find((r) => r.bench === 'store-append-async-populator')?.ratioToRaw, 0.5);
  target('sync64 >= 0.25 of async', syncResult?.ratioToAsync, 0.25);
  target('sync64 >= 0.25 of async with populator', syncResult?.ratioToAsyncPopulator, 0.25);
  if (targets.length > 0) printTable('Targets (issue 2)', targets);
  console.log('');
  for (const r of results) printJson(r, DIRTY_PATHS);
}

let exitCode = 0;
try {
  await main();
} catch (e) {
  console.error(e);
  exitCode = 1;
} finally {
  rmSync(root, { recursive: true, force: true });
}
process.exit(exitCode);
