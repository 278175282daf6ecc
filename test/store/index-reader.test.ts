import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { storeConfig, type StoreConfig } from '../../src/store/config.js';
import { IndexQueryPool } from '../../src/store/index-query-pool.js';
import { IndexReader } from '../../src/store/index-reader.js';
import { IndexService } from '../../src/store/index-service.js';

const T0 = 1_700_000_000_000;
const ALL = [0, Number.MAX_SAFE_INTEGER] as const;
let root: string;
let cfg: StoreConfig;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'index-reader-'));
  cfg = storeConfig({ storePathRootDir: root, maxHashSlotNum: 4, maxIndexNum: 6 });
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

/** One message per second with key k<i % 3>; five entries fill a file. */
function fill(s: IndexService, from: number, to: number): void {
  for (let i = from; i < to; i++) s.buildIndex('T', i * 100, T0 + i * 1000, 0, `k${i % 3}`, null);
}

describe('IndexReader', () => {
  it('follows the writer: new entries and files show up, deleted files are let go, nothing is written', async () => {
    let t = T0;
    const writer = new IndexService(cfg, { now: () => (t += 1000) });
    const pool = new IndexQueryPool({ maxThreads: 1 });
    const reader = new IndexReader(cfg, pool);
    try {
      fill(writer, 0, 3);
      expect((await reader.queryOffsetAsync('T', 'k0', 64, ...ALL)).phyOffsets).toEqual([0]);
      const [first] = reader.paths;
      fill(writer, 3, 12);
      const r = await reader.queryOffsetAsync('T', 'k0', 64, ...ALL);
      expect(r.phyOffsets).toEqual([900, 600, 300, 0]);
      expect(r).toEqual(writer.queryOffset('T', 'k0', 64, ...ALL));
      expect(reader.paths).toEqual(writer.paths);
      expect(reader.paths[0]).toBe(first);

      writer.deleteExpired(600);
      await reader.queryOffsetAsync('T', 'k1', 64, ...ALL);
      expect(reader.paths).toEqual(writer.paths);
      expect(reader.paths).not.toContain(first);
    } finally {
      reader.close();
      await pool.close();
      await writer.close();
    }
    await expect(reader.queryOffsetAsync('T', 'k0', 64, ...ALL)).rejects.toMatchObject({ code: 'SERVICE_NOT_AVAILABLE' });
  });
});
