import { afterEach, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DefaultMessageStore, StoreError, storeConfig } from '../../src/store/index.js';
import { budgetCounts, countMappings, mapMargin, resetFileBudget } from '../../src/store/file-budget.js';
import { MappedFile } from '../../src/store/mapped-file.js';
import { tempDir } from '../helpers/store-paths.js';

const quiet = { info() {}, warn() {}, error() {} };
const MARGIN = mapMargin(1000); // 256 for any small limit

/** Pretends vm.max_map_count is the process's current mappings plus `spare` (the real one is global). */
function limitTo(spare: number): void {
  process.env.ROCKETMQ_TS_MAX_MAP_COUNT = String(countMappings() + spare);
  resetFileBudget();
}

function openStore(dir: string, warnings?: string[]): DefaultMessageStore {
  const cfg = storeConfig(new Map([['storePathRootDir', dir], ['mappedFileSizeCommitLog', String(1 << 20)], ['mappedFileSizeConsumeQueue', '600']]));
  return new DefaultMessageStore(cfg, { logger: warnings ? { ...quiet, warn: (m: string) => warnings.push(m) } : quiet });
}

describe('vm.max_map_count (the open files limit works the same way: open-files.test)', () => {
  afterEach(() => {
    delete process.env.ROCKETMQ_TS_MAX_MAP_COUNT;
    resetFileBudget();
  });

  it('new queues are refused, naming the limit, while known ones keep appending; a start that cannot map its files fails the same way', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const store = openStore(dir);
      await store.start();
      expect((await store.putMessage({ topic: 'Known', queueId: 0, body: Buffer.from('first') })).status).toBe('PUT_OK');
      // Room for 120 mappings above twice the margin: each new queue is counted twice (its check,
      // then its file), so about 60 queues.
      limitTo(2 * MARGIN + 120);
      const accepted: string[] = [];
      const refused: string[] = [];
      for (let t = 0; t < 200; t++) {
        try {
          await store.putMessage({ topic: `T${t}`, queueId: 0, body: Buffer.from(`m${t}`) });
          accepted.push(`T${t}`);
        } catch (e) {
          expect(e).toBeInstanceOf(StoreError);
          expect((e as StoreError).code).toBe('CREATE_MAPPED_FILE_FAILED');
          refused.push((e as Error).message);
        }
      }
      // The runtime's own mappings come and go, so only roughly where the line falls is fixed.
      expect(accepted.length).toBeGreaterThan(20);
      expect(accepted.length).toBeLessThan(120);
      // Refused queues cost no count of /proc/self/maps within a second of the last.
      const counted = budgetCounts();
      for (let i = 0; i < 200; i++) await expect(store.putMessage({ topic: 'Again', queueId: 0, body: Buffer.from('x') })).rejects.toThrow(/^no new queue Again:0/);
      expect(budgetCounts() - counted).toBeLessThanOrEqual(1); // one if a second passed meanwhile
      expect(refused[0]).toMatch(/^no new queue T\d+:0: the process is near vm\.max_map_count \(\d+; 256 are kept for the runtime and connections\)\..*raise vm\.max_map_count/);
      // A queue the store has is not refused, and what was accepted is readable.
      for (let i = 0; i < 50; i++) expect((await store.putMessage({ topic: 'Known', queueId: 0, body: Buffer.from(`k${i}`) })).status).toBe('PUT_OK');
      for (const topic of accepted) expect((await store.getMessage('g', topic, 0, 0, 1)).status).toBe('FOUND');

      // Below the margin no file is mapped, or even created.
      limitTo(MARGIN);
      const path = join(dir, 'probe-file');
      expect(() => MappedFile.open(path, 0, 4096, { create: true })).toThrow(/^cannot map .*probe-file: the process is near vm\.max_map_count/);
      expect(existsSync(path)).toBe(false);
      await store.shutdown();

      // A start that leaves less than half the mappings free says so.
      const warnings: string[] = [];
      limitTo(MARGIN + 150);
      const warned = openStore(dir, warnings);
      await warned.start();
      await warned.shutdown();
      expect(warnings.join('\n')).toMatch(/the process holds \d+ of vm\.max_map_count \d+ .*raise vm\.max_map_count/);

      // A start maps its commit log: with no mapping to spare it fails naming the limit, not V8's heap.
      limitTo(MARGIN);
      const starved = openStore(dir);
      await expect(starved.start()).rejects.toThrow(/cannot map .*commitlog.*vm\.max_map_count/);
      await starved.shutdown().catch(() => undefined);

      // Queue files are mapped when first used (a broker's queues are mostly idle): the start maps
      // a handful of files for 60-odd queues, and a read that finds no mapping left is refused by name.
      limitTo(MARGIN + 8);
      const before = countMappings();
      const lazy = openStore(dir);
      await lazy.start();
      expect(countMappings() - before).toBeLessThan(30); // with the runtime's own; mapped at open, 60 more
      let readRefused = '';
      for (const topic of accepted) {
        try {
          lazy.getMessage('g', topic, 0, 0, 1);
        } catch (e) {
          readRefused = (e as Error).message;
          break;
        }
      }
      expect(readRefused).toMatch(/^cannot map .*consumequeue.*vm\.max_map_count/);
      await lazy.shutdown();

      delete process.env.ROCKETMQ_TS_MAX_MAP_COUNT;
      resetFileBudget();
      const quietStart: string[] = [];
      const again = openStore(dir, quietStart);
      await again.start();
      expect(quietStart.filter((m) => m.includes('max_map_count'))).toEqual([]);
      for (const topic of accepted) expect(again.getMaxOffsetInQueue(topic, 0)).toBe(1);
      expect(again.getMaxOffsetInQueue('Known', 0)).toBe(51);
      await again.shutdown();
    } finally {
      cleanup();
    }
  });
});
