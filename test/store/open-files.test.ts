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

  it('refuses appends with an error that says to raise the limit, and keeps what it acknowledged', async () => {
    const { dir, cleanup } = tempDir();
    // Each consume queue keeps its file open: 400 queues cannot fit in 96 descriptors.
    const writer = join(REPO_ROOT, 'dist/test/store/open-files-writer.js');
    const out = execFileSync('sh', ['-c', `ulimit -n 96 && exec "${process.execPath}" "${writer}" "${dir}" 400`], { encoding: 'utf8' });
    const r = JSON.parse(out.trim().split('\n').pop()!) as { acked: number; refused: string; errors: string[]; shutdown: string };
    expect(r.acked).toBeGreaterThan(0);
    expect(r.acked).toBeLessThan(400);
    // SERVICE_NOT_AVAILABLE (14), as RocketMQ answers while its logics queues are in error.
    expect(r.refused).toMatch(/^14: consume queue or index write failed/);
    const logged = r.errors.join('\n');
    expect(logged).toContain('EMFILE: too many open files');
    expect(logged).toContain('raise the open files limit, ulimit -n');
    expect(r.shutdown === 'ok' || /EMFILE/.test(r.shutdown), r.shutdown).toBe(true);
    // With descriptors to spare again, the next start has every acknowledged message in its queue.
    const quiet = { info() {}, warn() {}, error() {} };
    const store = new DefaultMessageStore(storeConfig(new Map([['storePathRootDir', dir], ['mappedFileSizeCommitLog', String(1 << 20)], ['mappedFileSizeConsumeQueue', '600']])), { logger: quiet });
    await store.start();
    let found = 0;
    for (let q = 0; q < r.acked; q++) found += store.getMaxOffsetInQueue(`Q${q % 50}`, Math.floor(q / 50));
    expect(found).toBe(r.acked);
    await store.shutdown();
    cleanup();
  });
});
