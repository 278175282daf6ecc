import { describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { RollingLogFile } from '../../src/net/log-file.js';
import { REPO_ROOT, tempDir } from '../helpers/store-paths.js';
import { execFileSync } from 'node:child_process';

const line = (i: number): string => `line ${String(i).padStart(4, '0')} ${'x'.repeat(89)}\n`; // 100 bytes

describe('RollingLogFile', () => {
  it('rolls by size into otherdays/<name>.N.log.gz, newest first, keeping `keep` of them', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const errors: Error[] = [];
      const path = join(dir, 'broker.log');
      writeFileSync(path, line(0)); // appended to, not replaced
      const f = new RollingLogFile(path, { maxBytes: 1000, keep: 3, onError: (e) => errors.push(e) });
      for (let i = 1; i < 50; i++) {
        f.write(line(i));
        if (i % 10 === 0) await f.idle(); // let compressions interleave with writes, as in a server
      }
      await f.idle();
      f.close();
      expect(errors).toEqual([]);
      const otherdays = join(dir, 'otherdays');
      expect(readdirSync(otherdays).sort()).toEqual(['broker.1.log.gz', 'broker.2.log.gz', 'broker.3.log.gz']);
      // 50 lines of 100 bytes in files of 10: the live file holds none, .1 lines 40-49, .3 lines 20-29.
      expect(statSync(path).size).toBe(0);
      const rolled = (n: number): string => gunzipSync(readFileSync(join(otherdays, `broker.${n}.log.gz`))).toString();
      expect(rolled(1)).toBe([40, 41, 42, 43, 44, 45, 46, 47, 48, 49].map(line).join(''));
      expect(rolled(3).startsWith(line(20))).toBe(true);
    } finally {
      cleanup();
    }
  });

  it('two processes sharing the file (brokers with one home) roll it once at its size, and no line is lost', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const path = join(dir, 'broker.log');
      const opts = { maxBytes: 1000, keep: 20, onError: (e: Error) => { throw e; }, checkEveryMs: 0 };
      const a = new RollingLogFile(path, opts);
      const b = new RollingLogFile(path, opts);
      for (let i = 0; i < 60; i++) (i % 2 === 0 ? a : b).write(line(i));
      await a.idle();
      await b.idle();
      a.close();
      b.close();
      const otherdays = join(dir, 'otherdays');
      const rolled = readdirSync(otherdays).sort().map((f) => gunzipSync(readFileSync(join(otherdays, f))).toString());
      const all = (rolled.join('') + readFileSync(path, 'utf8')).split('\n').filter(Boolean).sort();
      expect(all).toEqual(Array.from({ length: 60 }, (_, i) => line(i).trimEnd()));
      // The shared file rolled at 1,000 bytes of both writers' lines, not at 1,000 bytes of each one's.
      expect(rolled.length).toBeGreaterThanOrEqual(5);
    } finally {
      cleanup();
    }
  });

  it('compresses a roll that a crash interrupted at the next start', async () => {
    const { dir, cleanup } = tempDir();
    try {
      mkdirSync(join(dir, 'otherdays'));
      writeFileSync(join(dir, 'otherdays', 'namesrv.log.rolling-4194303-1700000000000-1'), line(7)); // a pid no process has (above pid_max)
      const f = new RollingLogFile(join(dir, 'namesrv.log'), { maxBytes: 1 << 20, keep: 5, onError: (e) => { throw e; } });
      await f.idle();
      f.close();
      expect(readdirSync(join(dir, 'otherdays'))).toEqual(['namesrv.1.log.gz']);
      expect(gunzipSync(readFileSync(join(dir, 'otherdays', 'namesrv.1.log.gz'))).toString()).toBe(line(7));
    } finally {
      cleanup();
    }
  });

  it('a file that cannot be written is turned off with one report, and writing to it throws nothing', () => {
    const { dir, cleanup } = tempDir();
    try {
      writeFileSync(join(dir, 'not-a-dir'), '');
      const errors: Error[] = [];
      const f = new RollingLogFile(join(dir, 'not-a-dir', 'broker.log'), { maxBytes: 1000, keep: 3, onError: (e) => errors.push(e) });
      f.write(line(1));
      f.write(line(2));
      expect(errors).toHaveLength(1);
      expect(errors[0]!.message).toMatch(/^log file .*not-a-dir\/broker\.log turned off: ENOTDIR/);
      expect(existsSync(join(dir, 'not-a-dir', 'broker.log'))).toBe(false);
    } finally {
      cleanup();
    }
  });

  it('a directory that cannot be created under an existing parent is reported, not waited on forever', () => {
    // Node 20's recursive mkdirSync spins without end there (procfs refuses the child with ENOENT):
    // run in a child process with a timeout, so a regression fails instead of hanging the suite.
    const mod = join(REPO_ROOT, 'dist/src/net/log-file.js');
    const script = `import('${mod}').then(({ RollingLogFile }) => { const errors = []; new RollingLogFile('/proc/nope/logs/broker.log', { maxBytes: 1000, keep: 3, onError: (e) => errors.push(e.message) }); console.log(JSON.stringify(errors)); })`;
    const out = execFileSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 10_000 });
    expect(JSON.parse(out)).toEqual([expect.stringMatching(/^log file \/proc\/nope\/logs\/broker\.log turned off: ENOENT/)]);
  });
});
