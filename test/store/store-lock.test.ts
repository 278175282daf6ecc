import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DefaultMessageStore, StoreError, storeConfig } from '../../src/store/index.js';
import { tempDir } from '../helpers/store-paths.js';

const quiet = { info() {}, warn() {}, error() {} };

function openStore(dir: string, warnings?: string[]): DefaultMessageStore {
  const cfg = storeConfig(new Map([['storePathRootDir', dir], ['mappedFileSizeCommitLog', String(1 << 20)]]));
  return new DefaultMessageStore(cfg, { logger: warnings ? { ...quiet, warn: (m: string) => warnings.push(m) } : quiet });
}

const startError = (s: DefaultMessageStore): Promise<unknown> => s.start().then(() => null, (e: unknown) => e);

/** Whether this machine lets a test run a process in a network namespace of its own (root, unshare) with flock(1). */
const canUnshare = spawnSync('unshare', ['-n', 'true']).status === 0 && spawnSync('flock', ['--version']).status === 0;

/** A child process that starts a store on `dir`, prints "ready" and then waits (optionally wrapped, e.g. in unshare). */
async function holdStore(dir: string, wrap: string[] = []): Promise<{ child: ReturnType<typeof spawn>; exited: Promise<unknown> }> {
  const url = new URL('../../src/store/index.js', import.meta.url).href;
  const argv = [process.execPath, '--input-type=module', '-e', `
    const { DefaultMessageStore, storeConfig } = await import(${JSON.stringify(url)});
    const s = new DefaultMessageStore(storeConfig(new Map([['storePathRootDir', ${JSON.stringify(dir)}], ['mappedFileSizeCommitLog', '${1 << 20}']])));
    await s.start();
    await s.putMessage({ topic: 'T', queueId: 0, body: Buffer.from('held') });
    console.log('ready');
    setInterval(() => {}, 1000);
  `];
  const [cmd, ...args] = [...wrap, ...argv];
  const child = spawn(cmd!, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise((r) => child.once('exit', r));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
    child.once('exit', (code) => reject(new Error(`holder exited with ${code}`)));
  });
  return { child, exited };
}

describe('one store per store directory (RocketMQ: "Lock failed,MQ already started")', () => {
  it('a second store in the same process is refused before it reads anything; the first goes on, and the directory is free after its shutdown', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const first = openStore(dir);
      await first.start();
      expect((await first.putMessage({ topic: 'T', queueId: 0, body: Buffer.from('one') })).status).toBe('PUT_OK');

      const err = await startError(openStore(dir));
      expect(err).toBeInstanceOf(StoreError);
      expect((err as StoreError).code).toBe('STORE_LOCKED');
      expect((err as Error).message).toMatch(new RegExp(`^store .* is in use by another broker or store \\(pid ${process.pid}\\): stop it first, or give this one its own storePathRootDir$`));
      // The refused store recovered nothing and, stopping, removed nothing: the marker of the live one stays.
      expect(existsSync(join(dir, 'abort'))).toBe(true);
      expect((await first.putMessage({ topic: 'T', queueId: 0, body: Buffer.from('two') })).status).toBe('PUT_OK');
      await first.shutdown();

      const again = openStore(dir);
      await again.start();
      expect(again.getMaxOffsetInQueue('T', 0)).toBe(2);
      await again.shutdown();
    } finally {
      cleanup();
    }
  });

  it('a start that fails gives the directory back', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const s = openStore(dir);
      await s.start();
      await s.putMessage({ topic: 'T', queueId: 0, body: Buffer.from('x') });
      await s.shutdown();
      const stray = join(dir, 'commitlog', 'not-a-segment');
      writeFileSync(stray, 'x');
      expect(((await startError(openStore(dir))) as StoreError).code).toBe('NOT_A_STORE');
      rmSync(stray);
      const fixed = openStore(dir);
      await fixed.start();
      await fixed.shutdown();
    } finally {
      cleanup();
    }
  });

  it('a process killed while holding the store frees it, and the next start recovers as after a crash', async () => {
    const { dir, cleanup } = tempDir();
    let holder: ReturnType<typeof spawn> | undefined;
    try {
      const { child, exited } = await holdStore(dir);
      holder = child;
      const err = await startError(openStore(dir));
      expect((err as StoreError).code).toBe('STORE_LOCKED');
      expect((err as Error).message).toContain(`(pid ${child.pid})`);

      child.kill('SIGKILL');
      await exited;
      const warnings: string[] = [];
      const after = openStore(dir, warnings);
      await after.start();
      expect(warnings.join('\n')).toMatch(/abort marker found, recovered after a crash/);
      expect(after.getMaxOffsetInQueue('T', 0)).toBe(1);
      await after.shutdown();
    } finally {
      // A failed expectation must not leave the holder running (it would never exit by itself).
      holder?.kill('SIGKILL');
      cleanup();
    }
  });

  // Two containers that mount one volume: each has its network namespace, where the abstract
  // socket is not seen; the flock on the lock file is.
  it.skipIf(!canUnshare)('a store held from another network namespace is refused too, and free once that holder dies', async () => {
    const { dir, cleanup } = tempDir();
    let holder: ReturnType<typeof spawn> | undefined;
    try {
      const { child, exited } = await holdStore(dir, ['unshare', '-n']);
      holder = child;
      const err = await startError(openStore(dir));
      expect((err as StoreError).code).toBe('STORE_LOCKED');
      expect(existsSync(join(dir, 'abort'))).toBe(true);
      child.kill('SIGKILL');
      await exited;
      const after = openStore(dir);
      await after.start();
      expect(after.getMaxOffsetInQueue('T', 0)).toBe(1);
      await after.shutdown();
    } finally {
      holder?.kill('SIGKILL');
      cleanup();
    }
  });
});
