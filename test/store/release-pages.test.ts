import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeMessage } from '../../src/store/index.js';
import { scratchStores } from '../helpers/scratch-store.js';
import { msg } from './conformance.js';

const { cleanups, fresh, open } = scratchStores();

/** Resident KiB of this process's writable shared mappings of `path` (/proc/self/smaps). */
function residentKiB(path: string): number {
  let kib = 0;
  let inFile = false;
  for (const line of readFileSync('/proc/self/smaps', 'latin1').split('\n')) {
    if (/^[0-9a-f]+-[0-9a-f]+ /.test(line)) inFile = line.includes(' rw-s ') && line.endsWith(` ${path}`);
    else if (inFile && line.startsWith('Rss:')) kib += Number(/(\d+)/.exec(line)![1]);
  }
  return kib;
}

describe.runIf(process.platform === 'linux')('commit log pages unmapped behind the writer', () => {
  it('unmaps the pages the writer has passed, before their writeback, and every message stays readable', async () => {
    const s = await open(fresh({ mappedFileSizeCommitLog: 32 * 1024 * 1024, mappedFileSizeConsumeQueue: 300_000 * 20 }));
    cleanups.push(() => s.shutdown());
    const body = Buffer.alloc(1000, 7);
    const N = 8000; // about 8.6 MiB of records
    for (let i = 0; i < N; i++) await s.putMessage({ ...msg('T', 0, ''), body: Buffer.concat([Buffer.from(`${i}:`), body]) });
    const segment = s.commitLog.queue.last!;
    // Written through the mapping, but only the last chunk behind the writer (and the chunk
    // populated ahead of it) is still mapped: about 2 of the 8.6 MiB.
    expect(residentKiB(segment.path)).toBeLessThan(3 * 1024);

    // Unmapped is not gone: the page cache kept the bytes (dirty or written back), and reads
    // map them back.
    let off = 0;
    for (let i = 0; i < N; ) {
      const r = s.getMessage('g', 'T', 0, off, 500);
      expect(r.status).toBe('FOUND');
      for (const b of r.messages) {
        const m = decodeMessage(b, 0);
        expect(m.body.subarray(0, `${i}:`.length).toString()).toBe(`${i}:`);
        expect(m.body.length).toBe(1000 + `${i}:`.length);
        i++;
      }
      off = r.nextBeginOffset;
    }
    // And they reach the file: what a flush makes durable is read back through a fresh mapping.
    await s.putMessage({ ...msg('T', 0, ''), body });
    await s.commitLog.queue.flush();
    const copy = readFileSync(segment.path);
    expect(copy.subarray(0, segment.wrotePosition).equals(segment.buffer.subarray(0, segment.wrotePosition))).toBe(true);
    expect(decodeMessage(copy, 0).body.subarray(0, 2).toString()).toBe('0:');
  });
});
