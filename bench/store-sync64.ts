import { performance } from 'node:perf_hooks';
import type { DefaultMessageStore, MessageInput } from '../src/store/index.js';
import type { RawLog } from './raw-log.js';
import { RssSampler, checkPut, gc, percentile, type Result } from './report.js';

const SYNC_APPENDERS = 64;
/** Slice length: the store and its baseline alternate, so background load hits both alike. */
const SYNC_SLICE_MS = 1000;

/** What the SYNC_FLUSH phase needs from the store benchmark's setup. */
export interface Sync64Setup {
  maxMessages: number;
  seconds: number;
  /** Appended round-robin (one per queue). */
  messages: MessageInput[];
  newStore(): DefaultMessageStore;
  rawLog(): RawLog;
  mbPerSec(msgsPerSec: number): number;
  log(m: string): void;
}

class Latencies {
  private readonly v: Float64Array;
  n = 0;
  constructor(max: number) {
    this.v = new Float64Array(max);
  }
  add(ms: number): void {
    if (this.n < this.v.length) this.v[this.n++] = ms;
  }
  stats(): { avgMs: number; p50Ms: number; p99Ms: number; maxMs: number } {
    const s = this.v.subarray(0, this.n).sort();
    let sum = 0;
    for (const x of s) sum += x;
    return { avgMs: sum / s.length, p50Ms: percentile(s, 50), p99Ms: percentile(s, 99), maxMs: s[s.length - 1] ?? NaN };
  }
}

/**
 * SYNC_FLUSH with 64 concurrent appenders (each awaiting its put), bounded by time and count,
 * interleaved in slices with its disk baseline: rounds of 64 raw record copies made durable by
 * one O_DSYNC write (what perfect group commit could reach on this disk). Ratios are to the given async rates.
 */
export async function sync64Benchmark(m: Sync64Setup, asyncRate: number, populatedRate: number): Promise<{ store: Result; raw: Result }> {
  const { maxMessages, messages, mbPerSec, log } = m;
  const queues = messages.length;
  log(`SYNC_FLUSH append: ${SYNC_APPENDERS} appenders, up to ${maxMessages} messages or ${m.seconds} s, interleaved with rounds of 64 records and one O_DSYNC write`);
  const store = m.newStore();
  await store.start();
  const raw = m.rawLog();
  const storeRss = new RssSampler().start().pause();
  const storeLat = new Latencies(maxMessages);
  const rawLat = new Latencies(maxMessages);
  let storeDone = 0;
  let issued = 0;
  let timeouts = 0;
  let storeMs = 0;
  let rawDone = 0;
  let rawMs = 0;
  gc();
  const budgetMs = m.seconds * 1000;
  while (storeMs < budgetMs && issued < maxMessages) {
    // Store slice: 64 appenders until the slice ends (the last puts finish after it).
    storeRss.resume();
    const t0 = performance.now();
    const sliceEnd = t0 + Math.min(SYNC_SLICE_MS, budgetMs - storeMs);
    const appender = async (): Promise<void> => {
      while (issued < maxMessages && performance.now() < sliceEnd) {
        const msg = messages[issued++ % queues]!;
        const start = performance.now();
        const r = await store.putMessage(msg);
        storeLat.add(performance.now() - start);
        storeDone++;
        if (r.status === 'FLUSH_DISK_TIMEOUT') timeouts++;
        else checkPut(r);
      }
    };
    await Promise.all(Array.from({ length: SYNC_APPENDERS }, appender));
    const sliceMs = performance.now() - t0;
    storeMs += sliceMs;
    storeRss.pause();
    // Raw slice of the same length: 64 record copies, one O_DSYNC write, repeat.
    const r0 = performance.now();
    const rawEnd = r0 + sliceMs;
    while (performance.now() < rawEnd) {
      const start = performance.now();
      await raw.appendDurable(SYNC_APPENDERS);
      const ms = performance.now() - start;
      for (let i = 0; i < SYNC_APPENDERS; i++) rawLat.add(ms);
      rawDone += SYNC_APPENDERS;
    }
    rawMs += performance.now() - r0;
  }
  const mem = storeRss.stop();
  raw.close();
  const info = store.runtimeInfo();
  const writes = Number(info.commitLogCommitWrites ?? 0);
  const writeMs = Number(info.commitLogCommitWriteMs ?? 0);
  await store.shutdown();

  const rate = (storeDone * 1000) / storeMs;
  const rawRate = (rawDone * 1000) / rawMs;
  const rawStats = rawLat.stats();
  return {
    raw: {
      bench: 'store-append-rawsync64',
      msgsPerSec: rawRate,
      mbPerSec: mbPerSec(rawRate),
      avgMs: rawStats.avgMs,
      p99Ms: rawStats.p99Ms,
      seconds: rawMs / 1000,
      messages: rawDone,
    },
    store: {
      bench: 'store-append-sync64',
      msgsPerSec: rate,
      mbPerSec: mbPerSec(rate),
      ...storeLat.stats(),
      ratioToAsync: rate / asyncRate,
      ratioToAsyncPopulator: rate / populatedRate,
      ratioToRawSync: rate / rawRate,
      // Group commit's anatomy: records per O_DSYNC write, the write's latency, and the share of
      // the time a write was in flight (near 1: the disk sets the rate; lower: the appends do).
      msgsPerWrite: writes > 0 ? storeDone / writes : null,
      avgWriteMs: writes > 0 ? writeMs / writes : null,
      writeBusy: writeMs / storeMs,
      seconds: storeMs / 1000,
      messages: storeDone,
      flushTimeouts: timeouts,
      rssAnonPeakMB: mem.peakMB,
      rssAnonEndMB: mem.endMB,
    },
  };
}
