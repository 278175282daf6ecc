import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { DefaultMessageStore, StoreError, storeConfig } from '../../src/store/index.js';
import { REPO_ROOT, tempDir } from '../helpers/store-paths.js';

describe('running out of file descriptors', () => {
  it('errors carry their cause\'s words, once', () => {
    const cause = Object.assign(new Error("EMFILE: too many open files, open '/x'"), { code: 'EMFILE' });
    expect(new StoreError('IO_ERROR', 'cannot open /x', { cause }).message).toBe("cannot open /x: EMFILE: too many open files, open '/x'");
    expect(new StoreError('IO_ERROR', `failed: ${cause.message}`, { cause }).message).toBe(`failed: ${cause.message}`);
    expect(new StoreError('IO_ERROR', 'plain').message).toBe('plain');
  });

  /** Runs the writer under `ulimit -n 96` over 400 new queues; what it saw, then what a start with descriptors to spare finds. */
  async function underLowLimit(env: Record<string, string> = {}): Promise<{ acked: number; refused: string; known: string; errors: string[]; shutdown: string; found: number }> {
    const { dir, cleanup } = tempDir();
    try {
      const writer = join(REPO_ROOT, 'dist/test/store/open-files-writer.js');
      const out = execFileSync('sh', ['-c', `ulimit -n 96 && exec "${process.execPath}" "${writer}" "${dir}" 400`], { encoding: 'utf8', env: { ...process.env, ...env } });
      const r = JSON.parse(out.trim().split('\n').pop()!) as { acked: number; refused: string; known: string; errors: string[]; shutdown: string };
      // With descriptors to spare again, the next start has every acknowledged message in its queue.
      const quiet = { info() {}, warn() {}, error() {} };
      const store = new DefaultMessageStore(storeConfig(new Map([['storePathRootDir', dir], ['mappedFileSizeCommitLog', String(1 << 20)], ['mappedFileSizeConsumeQueue', '600']])), { logger: quiet });
      await store.start();
      let found = 0;
      for (let q = 0; q < 400; q++) found += store.getMaxOffsetInQueue(`Q${q % 50}`, Math.floor(q / 50));
      await store.shutdown();
      return { ...r, found };
    } finally {
      cleanup();
    }
  }

  it('refuses new queues, naming the limit, before it runs out, and keeps appending to the queues it has', async () => {
    const r = await underLowLimit();
    expect(r.acked).toBeGreaterThan(10);
    expect(r.acked).toBeLessThan(80);
    // SYSTEM_ERROR (1), as RocketMQ answers CREATE_MAPEDFILE_FAILED; before anything was written.
    expect(r.refused).toMatch(/^1: no new queue Q\d+:\d+: the process is near the open files limit \(96; 16 are kept for the runtime and connections\)\..*raise the open files limit \(ulimit -n/);
    expect(r.known).toBe('PUT_OK');
    expect(r.errors.join('\n')).not.toContain('EMFILE');
    expect(r.shutdown).toBe('ok');
    expect(r.found).toBe(r.acked);
  });

  it('when it runs out anyway (the limit misjudged), refuses all appends with an error that says to raise it, and keeps what it acknowledged', async () => {
    const r = await underLowLimit({ ROCKETMQ_TS_MAX_OPEN_FILES: '100000' });
    expect(r.acked).toBeGreaterThan(0);
    expect(r.acked).toBeLessThan(400);
    // SERVICE_NOT_AVAILABLE (14), as RocketMQ answers while its logics queues are in error.
    expect(r.refused).toMatch(/^14: consume queue or index write failed/);
    const logged = r.errors.join('\n');
    expect(logged).toContain('EMFILE: too many open files');
    expect(logged).toContain('raise the open files limit, ulimit -n');
    expect(r.shutdown === 'ok' || /EMFILE/.test(r.shutdown), r.shutdown).toBe(true);
    expect(r.found).toBe(r.acked);
  });
});
