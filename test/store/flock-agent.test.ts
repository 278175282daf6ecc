import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DefaultMessageStore, storeConfig } from '../../src/store/index.js';
import { tempDir } from '../helpers/store-paths.js';

const quiet = { info() {}, warn() {}, error() {} };
const hasFlock = spawnSync('flock', ['--version']).status === 0;

function openStore(dir: string, warnings?: string[]): DefaultMessageStore {
  const logger = warnings ? { ...quiet, warn: (m: string) => warnings.push(m) } : quiet;
  return new DefaultMessageStore(storeConfig(new Map([['storePathRootDir', dir], ['mappedFileSizeCommitLog', String(1 << 20)]])), { logger });
}

/** Pids of this process's flock helpers (children running the helper's script). */
function helpers(): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid && readFileSync(`/proc/${name}/cmdline`, 'utf8').includes('flock --exclusive')) found.push(Number(name));
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}

/** Whether another process could take the flock on `dir`'s lock file now (flock(1) exits 1 when it is held). */
const lockFree = (dir: string): boolean => spawnSync('flock', ['--exclusive', '--nonblock', join(dir, 'lock'), 'true']).status === 0;

describe.skipIf(!hasFlock)('the flock helper behind the store lock', () => {
  it('is one process for all the stores of a process, and a store that stops frees its lock file to others', async () => {
    const dirs = [tempDir(), tempDir(), tempDir()];
    const stores = dirs.map((t) => openStore(t.dir));
    try {
      for (const s of stores) await s.start();
      expect(helpers()).toHaveLength(1);
      expect(dirs.map((t) => lockFree(t.dir))).toEqual([false, false, false]);
      await stores[1]!.shutdown();
      expect(dirs.map((t) => lockFree(t.dir))).toEqual([false, true, false]);
      // Taken again by this process: the helper opened the file anew.
      const again = openStore(dirs[1]!.dir);
      await again.start();
      expect(lockFree(dirs[1]!.dir)).toBe(false);
      await again.shutdown();
    } finally {
      for (const s of [stores[0]!, stores[2]!]) await s.shutdown();
      for (const t of dirs) t.cleanup();
    }
  });

  it('dies with its locks, which their stores say; the stores go on, and the next start has a new helper', async () => {
    const a = tempDir();
    const b = tempDir();
    const warnings: string[] = [];
    try {
      const first = openStore(a.dir, warnings);
      await first.start();
      const [pid] = helpers();
      process.kill(pid!, 'SIGKILL');
      for (let i = 0; i < 500 && warnings.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
      expect(lockFree(a.dir)).toBe(true);
      expect(warnings).toEqual([expect.stringMatching(/: the flock helper exited \(SIGKILL\); its directory is locked against this network namespace only until the store restarts$/)]);
      expect((await first.putMessage({ topic: 'T', queueId: 0, body: Buffer.from('x') })).status).toBe('PUT_OK');
      const second = openStore(b.dir);
      await second.start();
      expect(helpers()).toHaveLength(1);
      expect(helpers()[0]).not.toBe(pid);
      expect(lockFree(b.dir)).toBe(false);
      // The first store's release must not close a descriptor of the new helper.
      await first.shutdown();
      expect(lockFree(b.dir)).toBe(false);
      await second.shutdown();
      expect(lockFree(b.dir)).toBe(true);
    } finally {
      a.cleanup();
      b.cleanup();
    }
  });

  it('neither keeps a process alive nor lets it end during an awaited start; without bash the store starts and says what it lacks', async () => {
    const url = new URL('../../src/store/index.js', import.meta.url).href;
    const run = async (path: string): Promise<{ code: number | null; out: string }> => {
      const t = tempDir();
      try {
        const child = spawn(process.execPath, ['--input-type=module', '-e', `
          const { DefaultMessageStore, storeConfig } = await import(${JSON.stringify(url)});
          const say = (m) => console.log(m);
          const s = new DefaultMessageStore(storeConfig(new Map([['storePathRootDir', ${JSON.stringify(t.dir)}]])), { logger: { info: say, warn: say, error: say } });
          await s.start();
          console.log('started');
          await s.shutdown();
          console.log('stopped');
        `], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, PATH: path } });
        let out = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
        return { code, out };
      } finally {
        t.cleanup();
      }
    };
    const normal = await run(process.env.PATH ?? '');
    expect(normal).toMatchObject({ code: 0 });
    expect(normal.out).toMatch(/started\nstopped\n$/);
    expect(normal.out).not.toContain('network namespace only');
    const bare = await run('/nonexistent');
    expect(bare).toMatchObject({ code: 0 });
    expect(bare.out).toMatch(/locked against this network namespace only \(spawn bash ENOENT\)\n[^]*started\nstopped\n$/);
  });
});
