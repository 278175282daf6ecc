import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DefaultMessageStore, decodeMessage, storeConfig } from '../../src/store/index.js';
import { checkRecord } from '../../src/store/record-check.js';
import { REPO_ROOT, tempDir } from '../helpers/store-paths.js';

/** Starts the writer, lets it acknowledge `acks` messages, then SIGKILLs it mid-stream. */
function runAndKill(root: string, c: Case, acks: number): Promise<Map<string, string>> {
  return new Promise((resolve, reject) => {
    const args = [join(REPO_ROOT, 'dist/test/store/crash-writer.js'), root, String(c.segmentSize), c.flushDiskType, String(c.staged), String(c.workers ?? false)];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    const acked = new Map<string, string>();
    let buf = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buf += chunk.toString();
      const lines = buf.split('\n');
      buf = lines.pop()!;
      for (const line of lines) {
        const m = /^ACK (\d+) (\d+) (.*)$/.exec(line);
        if (m) acked.set(`${m[1]}:${m[2]}`, m[3]!);
      }
      if (acked.size >= acks && child.exitCode === null && !child.killed) child.kill('SIGKILL');
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => (signal === 'SIGKILL' ? resolve(acked) : reject(new Error(`writer exited ${code} ${signal}`))));
  });
}

interface Case {
  segmentSize: number;
  flushDiskType: 'SYNC_FLUSH' | 'ASYNC_FLUSH';
  staged: boolean;
  workers?: boolean;
}

/** ASYNC_FLUSH with staged writes acknowledges before the commit, as RocketMQ's transient store pool. */
const losesStagedTail = (c: Case): boolean => c.staged && c.flushDiskType === 'ASYNC_FLUSH';

/**
 * SYNC_FLUSH (staged writes, fdatasync) at two segment sizes; ASYNC_FLUSH through the mapping,
 * whose acknowledgement means "in the page cache": a killed process loses none of those either;
 * ASYNC_FLUSH with staged writes, which may lose what was acknowledged but not yet committed, only
 * at the tail of each queue (never a hole); and dispatch in workers, where recovery rebuilds what
 * the ring had not reached.
 */
const CASES: Case[] = [
  { segmentSize: 8 * 1024, flushDiskType: 'SYNC_FLUSH', staged: false },
  { segmentSize: 1024 * 1024, flushDiskType: 'SYNC_FLUSH', staged: false },
  { segmentSize: 8 * 1024, flushDiskType: 'ASYNC_FLUSH', staged: true },
  { segmentSize: 64 * 1024, flushDiskType: 'ASYNC_FLUSH', staged: false },
  { segmentSize: 64 * 1024, flushDiskType: 'ASYNC_FLUSH', staged: false, workers: true },
  { segmentSize: 8 * 1024, flushDiskType: 'SYNC_FLUSH', staged: false, workers: true },
];

describe('crash safety (SIGKILL mid-stream)', () => {
  for (const c of CASES) {
    const what = losesStagedTail(c) ? 'acknowledged messages survive up to the staged tail' : 'every acknowledged message survives';
    it(`${what} and no torn record is visible (${c.flushDiskType}${c.staged ? ', staged writes' : ''}${c.workers ? ', dispatch workers' : ''}, segments of ${c.segmentSize} bytes)`, async () => {
      const t = tempDir();
      try {
        const acked = await runAndKill(t.dir, c, 1500);
        expect(existsSync(join(t.dir, 'abort'))).toBe(true);
        const store = new DefaultMessageStore(
          storeConfig({ storePathRootDir: t.dir, flushDiskType: c.flushDiskType, mappedFileSizeCommitLog: c.segmentSize, mappedFileSizeConsumeQueue: 2000 }),
          { logger: { info() {}, warn() {}, error() {} } },
        );
        await store.start();
        expect(store.lastRecovery?.abnormal).toBe(true);
        let lost = 0;
        for (const [key, body] of acked) {
          const [q, off] = key.split(':').map(Number) as [number, number];
          if (losesStagedTail(c) && off >= store.getMaxOffsetInQueue('Crash', q)) {
            lost++;
            continue;
          }
          const r = store.getMessage('g', 'Crash', q, off, 1);
          expect(r.status, key).toBe('FOUND');
          expect(decodeMessage(r.messages[0]!, 0).body.toString()).toBe(body);
        }
        // Every record a reader can reach is whole: valid magic, lengths and CRC; queues are dense.
        let total = 0;
        for (let q = 0; q < 4; q++) {
          const max = store.getMaxOffsetInQueue('Crash', q);
          for (let off = 0; off < max; ) {
            const r = store.getMessage('g', 'Crash', q, off, 32);
            expect(r.status).toBe('FOUND');
            r.messages.forEach((b, i) => {
              expect(checkRecord(b, 0, b.length, true, 1 << 20)).toBe(b.length);
              expect(decodeMessage(b, 0).queueOffset).toBe(r.queueOffsets[i]);
            });
            total += r.messages.length;
            off = r.nextBeginOffset;
          }
        }
        expect(total).toBeGreaterThanOrEqual(acked.size - lost);
        const next = await store.putMessage({ topic: 'Crash', queueId: 0, body: Buffer.from('after') });
        expect(next.queueOffset).toBe(store.getMaxOffsetInQueue('Crash', 0) - 1);
        await store.shutdown();
      } finally {
        t.cleanup();
      }
    });
  }
});
