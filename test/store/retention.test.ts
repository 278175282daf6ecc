import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { commitLogDir, consumeQueueDir, decodeMessage, DefaultMessageStore, encodeProperties, indexDir, type StoreConfig } from '../../src/store/index.js';
import type { RetentionHooks } from '../../src/store/clean-service.js';
import type { DiskSpace } from '../../src/store/disk-usage.js';
import { WorkerDispatcher } from '../../src/workers/worker-dispatcher.js';
import { RETENTION_TEST_CONFIG, scratchStores } from '../helpers/scratch-store.js';
import { until } from '../helpers/until.js';

const SEGMENT = 64 * 1024;
const HOUR = 3_600_000;
/** 1000-byte bodies: about 58 records per 64 KiB segment. */
const BODY = Buffer.alloc(1000, 0x61);
const stores = scratchStores(RETENTION_TEST_CONFIG);

/** Disk figures the test sets: `ratio` of the disk used. */
function disk(ratio = 0.1): { hooks: RetentionHooks; set(r: number): void } {
  let used = ratio;
  const hooks: RetentionHooks = { diskSpace: async (): Promise<DiskSpace> => ({ used: used * 1e12, usable: (1 - used) * 1e12 }) };
  return { hooks, set: (r) => (used = r) };
}

const quiet = { info() {}, warn() {}, error: (m: string) => console.error(m) };

async function open(cfg: StoreConfig, hooks: RetentionHooks, workers = false): Promise<DefaultMessageStore> {
  const s = new DefaultMessageStore(cfg, { logger: quiet, retentionHooks: hooks, remoteDispatcher: workers ? new WorkerDispatcher() : undefined });
  await s.start();
  stores.cleanups.push(() => s.shutdown());
  return s;
}

/** `n` messages alternating between queues 0 and 1 of topic T, each with a UNIQ_KEY u<i>. */
async function fill(s: DefaultMessageStore, n: number, from = 0): Promise<void> {
  for (let i = from; i < from + n; i++) {
    await s.putMessage({ topic: 'T', queueId: i % 2, body: BODY, properties: encodeProperties({ UNIQ_KEY: `u${i}` }) });
  }
  await s.whenDispatched(s.getMaxPhyOffset(), 10_000);
}

const segments = (cfg: StoreConfig) => readdirSync(commitLogDir(cfg)).filter((n) => /^\d{20}$/.test(n)).sort();
const cqFiles = (cfg: StoreConfig, q: number) => readdirSync(consumeQueueDir(cfg, 'T', q)).filter((n) => /^\d{20}$/.test(n)).sort();
const indexFiles = (cfg: StoreConfig) => (existsSync(indexDir(cfg)) ? readdirSync(indexDir(cfg)).filter((n) => /^\d{17}$/.test(n)) : []);

/** Backdates the first `count` segments (all when omitted) by `hours`. */
function age(cfg: StoreConfig, hours: number, count?: number): void {
  const t = (Date.now() - hours * HOUR) / 1000;
  for (const n of segments(cfg).slice(0, count)) utimesSync(join(commitLogDir(cfg), n), t, t);
}

/** Queue invariants after retention: the min unit is the first whose record is still stored. */
function expectQueueTrimmed(s: DefaultMessageStore, q: number): number {
  const min = s.getMinOffsetInQueue('T', q);
  const minPhy = s.getMinPhyOffset();
  expect(min).toBeGreaterThan(0);
  expect(s.getCommitLogOffsetInQueue('T', q, min)).toBeGreaterThanOrEqual(minPhy);
  const r = s.getMessage('g', 'T', q, 0, 8);
  expect(r.status).toBe('OFFSET_TOO_SMALL');
  expect(r.nextBeginOffset).toBe(min);
  const found = s.getMessage('g', 'T', q, min, 8);
  expect(found.status).toBe('FOUND');
  expect(found.queueOffsets[0]).toBe(min);
  return min;
}

describe('retention (inline dispatch)', () => {
  it('deletes expired segments ten per pass, never the current one, then queue and index files', async () => {
    const cfg = stores.fresh();
    const s = await open(cfg, disk().hooks);
    await fill(s, 830);
    const before = segments(cfg);
    expect(before.length).toBeGreaterThanOrEqual(14);
    const indexBefore = indexFiles(cfg).length;
    expect(indexBefore).toBeGreaterThan(2);
    const cq0Before = cqFiles(cfg, 0).length;
    // A pull result taken before the deletion: its slices stay readable afterwards.
    const held = s.getMessage('g', 'T', 0, 0, 4).messages;
    age(cfg, 2);

    const r1 = await s.retention.runOnce();
    expect(r1.commitLogFiles).toBe(10);
    expect(segments(cfg)).toEqual(before.slice(10));
    expect(s.getMinPhyOffset()).toBe(10 * SEGMENT);
    expect(r1.consumeQueueFiles).toBeGreaterThan(0);
    expect(cqFiles(cfg, 0).length).toBeLessThan(cq0Before);
    const min0 = expectQueueTrimmed(s, 0);
    expectQueueTrimmed(s, 1);
    expect(indexFiles(cfg).length).toBeLessThan(indexBefore);
    expect(decodeMessage(held[0]!, 0).body.equals(BODY)).toBe(true);

    const r2 = await s.retention.runOnce();
    expect(r2.commitLogFiles).toBe(before.length - 11);
    expect(segments(cfg)).toEqual(before.slice(-1));
    expect(expectQueueTrimmed(s, 0)).toBeGreaterThan(min0);
    // Keys of deleted records are gone with their index files; the newest are still found.
    expect((await s.queryMessage('T', 'u0', 4, 0, Date.now() + 1000)).messages).toHaveLength(0);
    expect((await s.queryMessage('T', 'u829', 4, 0, Date.now() + 1000)).messages).toHaveLength(1);

    // Nothing older is left: the next pass deletes nothing, and appends go on.
    expect((await s.retention.runOnce()).commitLogFiles).toBe(0);
    const put = await s.putMessage({ topic: 'T', queueId: 0, body: BODY });
    expect(put.status).toBe('PUT_OK');
  });

  it('keeps files younger than fileReservedTime, and stops at the first of them', async () => {
    const cfg = stores.fresh();
    const s = await open(cfg, disk().hooks);
    await fill(s, 400);
    const before = segments(cfg);
    age(cfg, 2, 3);
    // The fourth segment is young: the sixth being old again must not make a hole.
    const t = (Date.now() - 2 * HOUR) / 1000;
    utimesSync(join(commitLogDir(cfg), before[5]!), t, t);
    expect((await s.retention.runOnce()).commitLogFiles).toBe(3);
    expect(segments(cfg)).toEqual(before.slice(3));
    // Records newer than the retention time are all still readable.
    const min = s.getMinOffsetInQueue('T', 0);
    let read = 0;
    for (let off = min; off < s.getMaxOffsetInQueue('T', 0); ) {
      const r = s.getMessage('g', 'T', 0, off, 32);
      expect(r.status).toBe('FOUND');
      read += r.messages.length;
      off = r.nextBeginOffset;
    }
    expect(read).toBe(s.getMaxOffsetInQueue('T', 0) - min);
  });

  it('deletes only at the deleteWhen hours, unless the disk is fuller than diskMaxUsedSpaceRatio', async () => {
    const at = (h: number) => new Date(new Date().setHours(h, 30, 0, 0)).getTime();
    let now = at(10);
    const d = disk(0.5);
    const cfg = stores.fresh({ deleteWhen: '04;05' });
    const s = await open(cfg, { ...d.hooks, now: () => now });
    await fill(s, 300);
    age(cfg, 30);
    expect((await s.retention.runOnce()).commitLogFiles).toBe(0);
    now = at(5);
    expect((await s.retention.runOnce()).commitLogFiles).toBeGreaterThan(0);
    expect(segments(cfg)).toHaveLength(1);
    await fill(s, 200);
    age(cfg, 30);
    now = at(10);
    expect((await s.retention.runOnce()).commitLogFiles).toBe(0);
    d.set(0.8); // above diskMaxUsedSpaceRatio (75)
    expect((await s.retention.runOnce()).commitLogFiles).toBeGreaterThan(0);
    expect(segments(cfg)).toHaveLength(1);
  });

  it('above the forced ratio deletes files before they expire; above the warning level refuses appends', async () => {
    const d = disk(0.5);
    const cfg = stores.fresh();
    const s = await open(cfg, d.hooks);
    await fill(s, 300);
    const before = segments(cfg);
    d.set(0.8); // above diskMaxUsedSpaceRatio only: nothing has expired
    expect((await s.retention.runOnce()).commitLogFiles).toBe(0);
    d.set(0.88);
    expect((await s.retention.runOnce()).commitLogFiles).toBe(before.length - 1);
    expect(s.retention.diskFull).toBe(false);
    d.set(0.95);
    await s.retention.runOnce();
    expect(s.retention.diskFull).toBe(true);
    await expect(s.putMessage({ topic: 'T', queueId: 0, body: BODY })).rejects.toMatchObject({ code: 'SERVICE_NOT_AVAILABLE' });
    d.set(0.5);
    await s.retention.runOnce();
    expect(s.retention.diskFull).toBe(false);
    expect((await s.putMessage({ topic: 'T', queueId: 0, body: BODY })).status).toBe('PUT_OK');
  });

  it('does not delete unexpired files when cleanFileForciblyEnable is false', async () => {
    const d = disk(0.88);
    const cfg = stores.fresh({ cleanFileForciblyEnable: false });
    const s = await open(cfg, d.hooks);
    await fill(s, 200);
    expect((await s.retention.runOnce()).commitLogFiles).toBe(0);
  });

  it('recovers a store whose oldest files were deleted, after a clean stop and after a crash', async () => {
    const cfg = stores.fresh();
    let s = await open(cfg, disk().hooks);
    await fill(s, 500);
    age(cfg, 2);
    await s.retention.runOnce();
    const minPhy = s.getMinPhyOffset();
    const mins = [s.getMinOffsetInQueue('T', 0), s.getMinOffsetInQueue('T', 1)];
    const maxes = [s.getMaxOffsetInQueue('T', 0), s.getMaxOffsetInQueue('T', 1)];
    await s.shutdown();
    for (const crash of [false, true]) {
      if (crash) {
        // The abort marker a killed broker leaves behind.
        const { writeFileSync } = await import('node:fs');
        writeFileSync(join(cfg.storePathRootDir, 'abort'), '');
      }
      s = await open(cfg, disk().hooks);
      expect(s.getMinPhyOffset()).toBe(minPhy);
      expect([s.getMinOffsetInQueue('T', 0), s.getMinOffsetInQueue('T', 1)]).toEqual(mins);
      expect([s.getMaxOffsetInQueue('T', 0), s.getMaxOffsetInQueue('T', 1)]).toEqual(maxes);
      expectQueueTrimmed(s, 0);
      expect((await s.putMessage({ topic: 'T', queueId: 0, body: BODY })).queueOffset).toBe(maxes[0]);
      maxes[0]!++;
      await s.shutdown();
    }
  });
});

describe('retention (dispatch workers)', () => {
  it('the workers delete queue and index files; this thread moves the min offsets at once', async () => {
    const cfg = stores.fresh();
    const s = await open(cfg, disk().hooks, true);
    await fill(s, 830);
    const before = segments(cfg);
    const cq0 = cqFiles(cfg, 0);
    const indexBefore = indexFiles(cfg).length;
    age(cfg, 2);
    await s.retention.runOnce();
    await s.retention.runOnce();
    expect(segments(cfg)).toEqual(before.slice(-1));
    expectQueueTrimmed(s, 0);
    expectQueueTrimmed(s, 1);
    await until(() => cqFiles(cfg, 0).length < cq0.length && indexFiles(cfg).length < indexBefore, 10_000);
    // Appends and pulls go on, and the store restarts on what the workers left.
    await fill(s, 50, 830);
    const max = s.getMaxOffsetInQueue('T', 0);
    await s.shutdown();
    const again = await open(cfg, disk().hooks, true);
    expect(again.getMaxOffsetInQueue('T', 0)).toBe(max);
    expectQueueTrimmed(again, 0);
    expect((await again.queryMessage('T', 'u879', 4, 0, Date.now() + 1000)).messages).toHaveLength(1);
  });
});

describe('retention gives disk blocks back', () => {
  /** Mappings in this process of files under `cfg`'s root that were deleted (their blocks are still allocated). */
  const deletedMappings = (cfg: StoreConfig) => readFileSync('/proc/self/maps', 'utf8').split('\n').filter((l) => l.includes(cfg.storePathRootDir) && l.endsWith('(deleted)')).length;

  for (const workers of [false, true]) {
    it(`at the pass that deleted the files, not whenever the heap is next collected (${workers ? 'dispatch workers' : 'inline'})`, async () => {
      const cfg = stores.fresh();
      const s = await open(cfg, disk().hooks, workers);
      await fill(s, 830);
      const indexBefore = indexFiles(cfg).length;
      const cq0 = cqFiles(cfg, 0).length;
      age(cfg, 2);
      await s.retention.runOnce();
      await s.retention.runOnce();
      expect(segments(cfg)).toHaveLength(1);
      await until(() => cqFiles(cfg, 0).length < cq0 && indexFiles(cfg).length < indexBefore, 10_000);
      // A store this idle would otherwise keep them mapped (and their blocks) until some later
      // collection, which an idle heap may not see for hours.
      await until(() => deletedMappings(cfg) === 0, 5000);
    });
  }
});
