import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DefaultMessageStore, decodeMessage, storeConfig } from '../../src/store/index.js';
import { WorkerDispatcher } from '../../src/workers/worker-dispatcher.js';
import { tempDir } from '../helpers/store-paths.js';

const quiet = { info() {}, warn() {}, error() {} };
const SEGMENT = 64 * 1024;

const bodyOf = (record: Buffer): Buffer => decodeMessage(record, 0).body;

function openStore(dir: string, workers: boolean): DefaultMessageStore {
  const cfg = storeConfig(new Map([['storePathRootDir', dir], ['mappedFileSizeCommitLog', String(SEGMENT)]]));
  return new DefaultMessageStore(cfg, { logger: quiet, remoteDispatcher: workers ? new WorkerDispatcher() : undefined });
}

/** Commit log segments of `dir` this process (any of its threads) has mapped now. */
function mappedSegments(dir: string): Set<string> {
  const prefix = join(dir, 'commitlog') + '/';
  const names = new Set<string>();
  for (const line of readFileSync('/proc/self/maps', 'utf8').split('\n')) {
    const at = line.indexOf(prefix);
    if (at >= 0) names.add(line.slice(at + prefix.length));
  }
  return names;
}

describe('older commit log segments are mapped on first use', () => {
  for (const workers of [false, true]) {
    it(`a restart maps the last segment only; reads, key queries and appends map what they touch (${workers ? 'dispatch workers' : 'inline'})`, async () => {
      const { dir, cleanup } = tempDir();
      try {
        const body = (i: number) => Buffer.alloc(3000, `m${i}-`);
        // Six keys do not fit a ring slot's hashes: the index worker reads such records back.
        const keys = (i: number) => [1, 2, 3, 4, 5, 6].map((k) => `k${i}-${k}`).join(' ');
        // Written by another process: a mapping lives until its buffer is garbage collected, so
        // this one's would still be there after the writing store's shutdown.
        execFileSync(process.execPath, ['--input-type=module', '-e', `
          const { DefaultMessageStore, storeConfig } = await import(${JSON.stringify(new URL('../../src/store/index.js', import.meta.url).href)});
          const s = new DefaultMessageStore(storeConfig(new Map([['storePathRootDir', ${JSON.stringify(dir)}], ['mappedFileSizeCommitLog', '${SEGMENT}']])));
          await s.start();
          for (let i = 0; i < 400; i++) {
            const keys = [1, 2, 3, 4, 5, 6].map((k) => 'k' + i + '-' + k).join(' ');
            const r = await s.putMessage({ topic: 'Lazy', queueId: 0, body: Buffer.alloc(3000, 'm' + i + '-'), properties: 'KEYS\\u0001' + keys + '\\u0002' });
            if (r.status !== 'PUT_OK') throw new Error(r.status);
          }
          await s.shutdown();
        `]);
        const segments = readdirSync(join(dir, 'commitlog')).sort();
        expect(segments.length).toBeGreaterThan(15);

        const store = openStore(dir, workers);
        await store.start();
        try {
          // The last segment is mapped for appends; recovery's scan pool may still hold the two
          // before it. None of the early ones is mapped.
          const atStart = mappedSegments(dir);
          expect(atStart.has(segments[segments.length - 1]!)).toBe(true);
          expect(atStart.size).toBeLessThanOrEqual(3);
          expect(atStart.has(segments[0]!)).toBe(false);

          const r = store.getMessage('g', 'Lazy', 0, 0, 1);
          expect(r.status).toBe('FOUND');
          expect(bodyOf(r.messages[0]!).equals(body(0))).toBe(true);
          expect(mappedSegments(dir).has(segments[0]!)).toBe(true);

          // A key query reads a record from a segment nobody has touched since the restart.
          const found = await store.queryMessage('Lazy', 'k60-6', 10, 0, Date.now() + 1000);
          expect(found.messages.map((m) => bodyOf(m).equals(body(60)))).toEqual([true]);

          const after = await store.putMessage({ topic: 'Lazy', queueId: 0, body: body(400), properties: `KEYS\u0001${keys(400)}\u0002` });
          expect(after.status).toBe('PUT_OK');
          await store.whenDispatched(store.getMaxPhyOffset(), 10_000);
          expect(bodyOf(store.getMessage('g', 'Lazy', 0, 400, 1).messages[0]!).equals(body(400))).toBe(true);
          expect((await store.queryMessage('Lazy', 'k400-6', 10, 0, Date.now() + 1000)).messages).toHaveLength(1);
        } finally {
          await store.shutdown();
        }
      } finally {
        cleanup();
      }
    });
  }
});
