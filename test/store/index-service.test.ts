import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { storeConfig, type StoreConfig } from '../../src/store/config.js';
import { indexDir } from '../../src/store/file-names.js';
import { IndexQueryPool } from '../../src/store/index-query-pool.js';
import { IndexService, type IndexServiceOptions } from '../../src/store/index-service.js';
import { IndexFile } from '../../src/store/index-file.js';
import { DefaultMessageStore } from '../../src/store/message-store.js';
import { RMQ_INDEX, RMQ_INDEX_FILE } from './index-fixture.js';
import { findIndexKeys, newIndexKeyRanges } from '../../src/store/index-keys.js';
import { encodeProperties } from '../../src/store/properties.js';

const T0 = 1_700_000_000_000;
const ALL = [0, Number.MAX_SAFE_INTEGER] as const;
const TRANSACTION_ROLLBACK = 0xc;

let root: string;
const open: IndexService[] = [];

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'index-service-'));
});
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
  rmSync(root, { recursive: true, force: true });
});

function config(over: Partial<StoreConfig> = {}): StoreConfig {
  return storeConfig({ storePathRootDir: root, maxHashSlotNum: 4, maxIndexNum: 6, ...over });
}

function service(cfg: StoreConfig, opts: IndexServiceOptions = {}): IndexService {
  const s = new IndexService(cfg, { now: () => T0, ...opts });
  open.push(s);
  return s;
}

/** One message per second with key k<i % 3>; five entries fill a file (maxIndexNum 6). */
function fill(s: IndexService, from: number, to: number): void {
  for (let i = from; i < to; i++) s.buildIndex('T', i * 100, T0 + i * 1000, 0, `k${i % 3}`, null);
}

function query(s: IndexService, key: string, maxNum = 64, [begin, end]: readonly number[] = ALL): number[] {
  return s.queryOffset('T', key, maxNum, begin, end).phyOffsets;
}

describe('IndexService', () => {
  it('replays the fixture workload into the bytes RocketMQ 4.9 wrote', async () => {
    const { hashSlotNum, indexNum } = RMQ_INDEX.indexFile;
    const s = service(config({ maxHashSlotNum: hashSlotNum, maxIndexNum: indexNum }));
    for (const m of RMQ_INDEX.messages) {
      const p = m.propertiesAsStored;
      s.buildIndex(m.topic, m.commitLogOffset, m.storeTimestamp, m.sysFlag, p.KEYS ?? null, p.UNIQ_KEY ?? null);
    }
    expect(s.paths).toHaveLength(1);
    const r = s.queryOffset('FixtureTopic', 'key-7', 32, ...ALL);
    expect(r).toEqual({ phyOffsets: [1092], indexLastUpdateTimestamp: 1795295083002, indexLastUpdatePhyoffset: 2982 });
    await s.close();
    const [name] = readdirSync(indexDir(config()));
    expect(readFileSync(join(indexDir(config()), name)).equals(readFileSync(RMQ_INDEX_FILE))).toBe(true);
  });

  it('builds the same bytes from records\' property bytes (the index worker\'s path)', async () => {
    const { hashSlotNum, indexNum } = RMQ_INDEX.indexFile;
    const s = service(config({ maxHashSlotNum: hashSlotNum, maxIndexNum: indexNum }));
    const r = newIndexKeyRanges();
    for (const m of RMQ_INDEX.messages) {
      const b = Buffer.from(encodeProperties(m.propertiesAsStored), 'utf8');
      s.buildIndexFromBytes(m.topic, m.commitLogOffset, m.storeTimestamp, m.sysFlag, b, findIndexKeys(b, 0, b.length, r));
    }
    await s.close();
    const [name] = readdirSync(indexDir(config()));
    expect(readFileSync(join(indexDir(config()), name)).equals(readFileSync(RMQ_INDEX_FILE))).toBe(true);
  });

  it('indexes keys from bytes as from strings, non-ASCII keys and rollbacks included', () => {
    const s = service(config({ maxIndexNum: 64 }));
    const put = (phy: number, sysFlag: number, props: string) => {
      const b = Buffer.from(`xx${props}`, 'utf8');
      s.buildIndexFromBytes('T', phy, T0, sysFlag, b, findIndexKeys(b, 2, b.length, newIndexKeyRanges()));
    };
    put(100, 0, 'KEYS\u0001  a b  c \u0002UNIQ_KEY\u0001U1');
    put(200, TRANSACTION_ROLLBACK, 'KEYS\u0001a\u0002UNIQ_KEY\u0001U2');
    put(300, 0, 'TAGS\u0001t\u0002KEYS\u0001a clé');
    put(400, 0, 'TAGS\u0001t');
    expect(query(s, 'U1')).toEqual([100]);
    expect(query(s, 'a')).toEqual([300, 100]);
    expect(['b', 'c', 'clé', 'U2', ''].map((k) => query(s, k))).toEqual([[100], [100], [300], [], []]);
    expect(s.endPhyOffset).toBe(300);
  });

  it('indexes UNIQ_KEY and each non-empty KEYS entry; skips rollbacks and records already indexed', () => {
    const s = service(config({ maxIndexNum: 64 }));
    s.buildIndex('T', 100, T0, 0, '  a b  c ', 'U1');
    s.buildIndex('T', 200, T0, TRANSACTION_ROLLBACK, 'a', 'U2');
    s.buildIndex('T', 300, T0, 0x8, 'a', null); // commit type is indexed
    s.buildIndex('T', 250, T0, 0, 'late', null); // below endPhyOffset 300: already indexed
    s.buildIndex('U', 400, T0, 0, null, null);
    expect(query(s, 'U1')).toEqual([100]);
    expect(query(s, 'a')).toEqual([300, 100]);
    expect(['b', 'c', 'U2', 'late', ''].map((k) => query(s, k))).toEqual([[100], [100], [], [], []]);
    expect(s.queryOffset('U', 'a', 64, ...ALL).phyOffsets).toEqual([]);
    expect(s.endPhyOffset).toBe(300);
  });

  it('rolls to a new file when full, continuing from the previous end, and reports the checkpoint time', async () => {
    const checkpoints: number[] = [];
    const s = service(config(), { onIndexCheckpoint: (t) => checkpoints.push(t) });
    fill(s, 0, 12); // 5 + 5 + 2 entries
    expect(s.paths).toHaveLength(3);
    const names = s.paths.map((p) => basename(p));
    expect([...names].sort()).toEqual(names);
    expect(new Set(names).size).toBe(3); // the clock stood still: names were bumped, not reused
    await s.flush();
    expect(checkpoints).toEqual([T0 + 4000, T0 + 9000]);
    expect(query(s, 'k0')).toEqual([900, 600, 300, 0]);
    expect(query(s, 'k1')).toEqual([1000, 700, 400, 100]);
    expect(query(s, 'k1', 3)).toEqual([1000, 700, 400]);
    expect(query(s, 'k2', 64, [T0 + 4000, T0 + 8000])).toEqual([800, 500]);
    expect(s.queryOffset('T', 'k1', 1000, ...ALL).phyOffsets).toHaveLength(4);
  });

  it('settles by flushing rolled (full) files only: the newest is past the checkpoint, and a crash deletes it anyway', async () => {
    const flushed = spyOnIndexFlushes();
    try {
      const checkpoints: number[] = [];
      const s = service(config(), { onIndexCheckpoint: (t) => checkpoints.push(t) });
      fill(s, 0, 7); // a full file of 5 entries, and 2 in the newest
      const names = s.paths.map((p) => basename(p));
      await s.settle();
      expect(flushed.names).toEqual([names[0]]);
      expect(checkpoints).toEqual([T0 + 4000]);
      await s.flush(); // an explicit flush (and close) still writes the newest
      expect(flushed.names).toEqual([names[0], names[1]]);
    } finally {
      flushed.restore();
    }
  });

  it('is not flushed by the store every flushIntervalConsumeQueue, only when the store stops', async () => {
    const flushed = spyOnIndexFlushes();
    try {
      const store = new DefaultMessageStore(config({ maxHashSlotNum: 64, maxIndexNum: 1000, flushIntervalConsumeQueue: 10, mappedFileSizeCommitLog: 1 << 20 }), { logger: { info() {}, warn() {}, error: (m) => console.error(m) } });
      await store.start();
      for (let i = 0; i < 20; i++) await store.putMessage({ topic: 'T', queueId: 0, body: Buffer.from('b'), properties: `KEYS\u0001k${i}` });
      // Ten consume queue flushes later: the queue is flushed, the newest index file is not.
      await new Promise((r) => setTimeout(r, 100));
      expect((await store.queryMessage('T', 'k7', 10, 0, Number.MAX_SAFE_INTEGER)).messages).toHaveLength(1);
      expect(flushed.names).toEqual([]);
      await store.shutdown();
      expect(flushed.names).toHaveLength(1);
    } finally {
      flushed.restore();
    }
  });

  it('caps results at maxMsgsNumBatch', () => {
    const s = service(config({ maxMsgsNumBatch: 2, maxIndexNum: 64 }));
    for (let i = 0; i < 5; i++) s.buildIndex('T', i, T0, 0, 'same', null);
    expect(query(s, 'same', 32)).toEqual([4, 3]);
  });

  it('deletes expired files but never the newest', () => {
    const s = service(config());
    fill(s, 0, 12);
    expect(s.deleteExpired(500)).toBe(1); // file 1 ends at 400
    expect(query(s, 'k0')).toEqual([900, 600]);
    expect(s.deleteExpired(Number.MAX_SAFE_INTEGER)).toBe(1);
    expect(s.paths).toHaveLength(1);
    expect(readdirSync(indexDir(config()))).toHaveLength(1);
  });

  it('reloads after a clean restart and keeps appending to the last file', async () => {
    const a = service(config());
    fill(a, 0, 8);
    await a.close();
    const b = service(config());
    b.load(true, 0);
    expect(b.paths).toHaveLength(2);
    expect(query(b, 'k2')).toEqual([500, 200]);
    fill(b, 7, 10); // record 7 is re-dispatched: indexed again, but reported once
    expect(b.paths).toHaveLength(3);
    expect(query(b, 'k1')).toEqual([700, 400, 100]);
    expect(query(b, 'k0')).toEqual([900, 600, 300, 0]);
  });

  it('after a crash drops files that end after the index checkpoint', async () => {
    let checkpoint = 0;
    const a = service(config(), { onIndexCheckpoint: (t) => (checkpoint = t) });
    fill(a, 0, 8);
    await a.close();
    expect(checkpoint).toBe(T0 + 4000);
    const b = service(config());
    b.load(false, checkpoint);
    expect(b.paths).toHaveLength(1);
    expect(b.endPhyOffset).toBe(400);
    expect(readdirSync(indexDir(config()))).toHaveLength(1);
    fill(b, 5, 8); // recovery re-dispatches from the index end
    expect(query(b, 'k2')).toEqual([500, 200]);
  });

  it('forgets entries at or past a truncation point and indexes what is appended there', async () => {
    const s = service(config());
    fill(s, 0, 12); // files end at 400, 900, 1100
    s.truncateBeyond(350);
    expect(s.paths).toHaveLength(1);
    expect(s.endPhyOffset).toBe(300);
    expect(query(s, 'k0')).toEqual([300, 0]);
    expect(query(s, 'k1')).toEqual([100]);
    s.buildIndex('T', 350, T0 + 20_000, 0, 'k1', null);
    expect(query(s, 'k1')).toEqual([350, 100]);
    await s.close();
    const again = service(config());
    again.load(true, 0);
    expect(query(again, 'k1')).toEqual([350, 100]);
    again.truncateBeyond(0);
    expect(again.paths).toEqual([]);
  });

  it('does nothing when messageIndexEnable is false', () => {
    const s = service(config({ messageIndexEnable: false }));
    fill(s, 0, 3);
    expect(s.paths).toEqual([]);
    expect(existsSync(indexDir(config()))).toBe(false);
    expect(query(s, 'k0')).toEqual([]);
  });

  it('answers multi-file queries from the piscina pool, same as inline', async () => {
    const pool = new IndexQueryPool({ maxThreads: 1 });
    try {
      const s = service(config(), { queryPool: pool });
      fill(s, 0, 3);
      expect(await s.queryOffsetAsync('T', 'k0', 64, ...ALL)).toEqual(s.queryOffset('T', 'k0', 64, ...ALL));
      expect(pool.threads).toBe(0); // one file: inline
      fill(s, 3, 14);
      for (const key of ['k0', 'k1', 'k2', 'none']) {
        expect(await s.queryOffsetAsync('T', key, 3, ...ALL)).toEqual(s.queryOffset('T', key, 3, ...ALL));
      }
      expect(pool.threads).toBe(1);
      s.deleteExpired(500); // the worker drops the deleted file from its cache
      expect(await s.queryOffsetAsync('T', 'k1', 64, ...ALL)).toEqual(s.queryOffset('T', 'k1', 64, ...ALL));
      fill(s, 14, 15); // the worker's read-only mapping sees new entries
      expect((await s.queryOffsetAsync('T', 'k2', 64, ...ALL)).phyOffsets[0]).toBe(1400);
    } finally {
      await pool.close();
    }
    expect(pool.threads).toBe(0);
  });
});

/** Records the names of index files flushed, until `restore()`. */
function spyOnIndexFlushes(): { names: string[]; restore(): void } {
  const names: string[] = [];
  const original = IndexFile.prototype.flush;
  IndexFile.prototype.flush = function (this: IndexFile) {
    names.push(basename(this.path));
    return original.call(this);
  };
  return { names, restore: () => void (IndexFile.prototype.flush = original) };
}
