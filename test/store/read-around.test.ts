import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { consumeQueueDir, indexDir } from '../../src/store/file-names.js';
import { scratchStores } from '../helpers/scratch-store.js';

/** Pages of `path` in the page cache, by util-linux's fincore (mincore(2)). */
function residentPages(path: string): number {
  return Number(execFileSync('fincore', ['--raw', '--noheadings', '--output', 'PAGES', path]).toString().trim());
}

const hasFincore = (() => {
  try {
    execFileSync('fincore', ['--version']);
    return true;
  } catch {
    return false;
  }
})();

// With the kernel's read-around, the first write into a fresh consume queue or index file
// faulted a whole read-ahead window into memory (all 1465 pages of a 6 MB consume queue on a
// machine with read_ahead_kb=8192). Both are written in small pieces, so only touched pages
// should be resident.
describe.skipIf(!hasFincore)('consume queue and index files hold only the pages written', () => {
  const stores = scratchStores();

  it('one message puts a page or two of its consume queue and index file in memory', async () => {
    const cfg = stores.fresh({ mappedFileSizeCommitLog: 1 << 20, mappedFileSizeConsumeQueue: 300_000 * 20 });
    const store = await stores.open(cfg);
    stores.cleanups.push(() => store.shutdown());
    const r = await store.putMessage({ topic: 'ReadAround', queueId: 0, body: Buffer.from('x'), properties: 'KEYS\u0001k1\u0002TAGS\u0001t' });
    expect(r.status).toBe('PUT_OK');
    expect(await store.whenDispatched(store.getMaxPhyOffset(), 5000)).toBe(true);

    const cq = join(consumeQueueDir(cfg, 'ReadAround', 0), '00000000000000000000');
    expect(residentPages(cq)).toBeLessThanOrEqual(2);

    const [index] = readdirSync(indexDir(cfg));
    // Header, one hash slot and one entry per key (the key and the unique key): a few pages of ~100k.
    expect(residentPages(join(indexDir(cfg), index!))).toBeLessThanOrEqual(6);
  });
});
