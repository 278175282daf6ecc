import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DefaultMessageStore, decodeMessage, storeConfig } from '../../src/store/index.js';
import { tempDir } from '../helpers/store-paths.js';
import { until } from '../helpers/until.js';
import { msg } from './conformance.js';

const SEG = 256 * 1024;

describe('segment preallocation', () => {
  it('prepares the next segment zero-filled and leaves a sparse segment early with a BLANK marker', async () => {
    const t = tempDir();
    try {
      const cfg = storeConfig({ storePathRootDir: t.dir, mappedFileSizeCommitLog: SEG, mappedFileSizeConsumeQueue: 2000, preallocateCommitLog: true });
      const s = new DefaultMessageStore(cfg);
      await s.start();
      const a = await s.putMessage(msg('P', 0, 'first'));
      expect(a.wroteOffset).toBe(0);
      await until(() => s.commitLog.queue.nextReady);
      // The prepared file is hidden until taken: a restart now would not see it as a segment.
      const dir = join(t.dir, 'commitlog');
      expect(readdirSync(dir).filter((n) => /^\d{20}$/.test(n))).toEqual(['00000000000000000000']);
      const b = await s.putMessage(msg('P', 0, 'second'));
      expect(b.wroteOffset).toBe(SEG);
      // The renamed file's name is made durable before (not instead of) its first flush.
      expect(s.commitLog.queue.last!.directorySynced).toBe(false);
      await s.commitLog.queue.flush();
      expect(s.commitLog.queue.last!.directorySynced).toBe(true);
      expect(statSync(join(dir, '00000000000000262144')).blocks * 512).toBeGreaterThanOrEqual(SEG);
      expect(s.runtimeInfo().preallocatedSegmentsServed).toBe('1');
      await s.shutdown();

      writeFileSync(join(dir, '.00000000000099614720.alloc'), 'left by a killed process');
      const again = new DefaultMessageStore(cfg);
      await again.start();
      expect(existsSync(join(dir, '.00000000000099614720.alloc'))).toBe(false);
      const got = again.getMessage('g', 'P', 0, 0, 32);
      expect(got.messages.map((m) => decodeMessage(m, 0).body.toString())).toEqual(['first', 'second']);
      // A segment loaded from disk is not left early (its blocks are likely allocated already).
      await until(() => again.commitLog.queue.nextReady);
      expect((await again.putMessage(msg('P', 0, 'third'))).wroteOffset).toBe(b.wroteOffset + b.wroteBytes);
      await again.shutdown();
    } finally {
      t.cleanup();
    }
  });

  it('a segment needed before its preparation finishes is created sparse; nothing is lost', async () => {
    const t = tempDir();
    try {
      const cfg = storeConfig({ storePathRootDir: t.dir, mappedFileSizeCommitLog: 8192, mappedFileSizeConsumeQueue: 2000, preallocateCommitLog: true });
      const s = new DefaultMessageStore(cfg);
      await s.start();
      const bodies: string[] = [];
      for (let i = 0; i < 400; i++) {
        bodies.push(`m${i}`);
        await s.putMessage(msg('P', 0, `m${i}`));
      }
      await s.shutdown();
      const again = new DefaultMessageStore(cfg);
      await again.start();
      const out: string[] = [];
      for (let off = 0; ; ) {
        const r = again.getMessage('g', 'P', 0, off, 32);
        if (r.status !== 'FOUND') break;
        out.push(...r.messages.map((m) => decodeMessage(m, 0).body.toString()));
        off = r.nextBeginOffset;
      }
      expect(out).toEqual(bodies);
      await again.shutdown();
    } finally {
      t.cleanup();
    }
  });
});
