import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * Smoke test of `npm run bench:store`: the compiled benchmark runs end to end on a tiny amount
 * of data and prints its JSON result lines. No speed assertions (CI machines vary).
 */
const script = fileURLToPath(new URL('../../bench/store.js', import.meta.url));

function runBench(args: string[], file = script): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--expose-gc', file, ...args], { timeout: 25_000, maxBuffer: 4 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`bench failed (exit code ${String(err.code)}): ${err.message}\n${stderr}`));
      else resolve({ stdout, stderr });
    });
  });
}

describe('bench:store', () => {
  it('prints a table and one JSON line per result', async () => {
    const { stdout } = await runBench([
      '--quick',
      '--gib', '0.015625', // 16 MiB of bodies
      '--segment-mib', '8', // several segment rolls in the store and in the raw baseline
      '--sync-seconds', '0.5',
      '--sync-max', '4000',
      '--micro-ms', '40',
    ]);
    const lines = stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const byName = new Map(lines.map((l) => [l.bench as string, l]));
    const expectNumbers = (bench: string, keys: string[]) => {
      const r = byName.get(bench);
      expect(r, `missing JSON line for ${bench}`).toBeDefined();
      for (const k of keys) expect(typeof r![k], `${bench}.${k}`).toBe('number');
      expect(typeof r!.commit).toBe('string');
    };
    for (const m of ['micro-encode', 'micro-decode', 'micro-read', 'micro-append']) expectNumbers(m, ['opsPerSec', 'meanNs']);
    expectNumbers('store-append-raw', ['msgsPerSec', 'mbPerSec']);
    expectNumbers('store-append-async', ['msgsPerSec', 'mbPerSec', 'ratioToRaw', 'rssAnonPeakMB', 'rssAnonQuarterMB', 'rssAnonEndMB']);
    expectNumbers('store-append-rawsync64', ['msgsPerSec', 'avgMs']);
    expectNumbers('store-append-sync64', ['msgsPerSec', 'avgMs', 'p99Ms', 'ratioToAsync', 'rssAnonPeakMB', 'msgsPerWrite', 'avgWriteMs', 'writeBusy']);
    // 64 appenders share each O_DSYNC commit write: a group commit puts more than one record in it.
    expect(byName.get('store-append-sync64')!.msgsPerWrite as number).toBeGreaterThan(1);
    expect(byName.get('store-append-async')!.messages).toBe(16 * 1024);
    expect(byName.get('store-append-sync64')!.flushTimeouts).toBe(0);
    expect(stdout).toContain('Targets (issue 2)');
    expect(stdout).toContain('after 1/4 of the data');
  }, 30_000);

  it('runs the async phase with the transient store pool, whose puts are acknowledged before commit', async () => {
    // The bench checks what the store holds after the run: it must wait for the last commits.
    const { stdout } = await runBench(['--quick', '--phases', 'async', '--gib', '0.015625', '--segment-mib', '8', '--store-prop', 'transientStorePoolEnable=true']);
    const async = stdout
      .split('\n')
      .filter((l) => l.startsWith('{"bench":"store-append-async"'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(async).toHaveLength(1);
    expect(async[0]!.messages).toBe(16 * 1024);
  }, 30_000);

  it('dispatch bench compares inline and worker dispatch with the index on and off', async () => {
    const { stdout } = await runBench(['--messages', '4000'], fileURLToPath(new URL('../../bench/store-dispatch.js', import.meta.url)));
    const lines = new Map(
      stdout
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .map((l) => [l.bench as string, l]),
    );
    for (const b of ['store-append-dispatch-inline', 'store-append-dispatch-workers', 'store-append-dispatch-workers-noindex']) {
      expect(typeof lines.get(b)?.msgsPerSec, b).toBe('number');
      expect(typeof lines.get(b)?.lagP99Ms, b).toBe('number');
    }
    expect(typeof lines.get('store-append-dispatch-workers')?.ratioToInline).toBe('number');
    expect(typeof lines.get('store-append-index-on')?.workersRatioToIndexOff).toBe('number');
    // Per-thread CPU: each run counts its own helper threads, found by the names they give themselves.
    const inline = lines.get('store-append-dispatch-inline')!;
    const workers = lines.get('store-append-dispatch-workers')!;
    const noIndex = lines.get('store-append-dispatch-workers-noindex')!;
    expect(inline.mainCpuMs as number).toBeGreaterThan(0);
    expect(inline.dispatchCpuMs).toBe(0);
    expect(workers.dispatchCpuMs as number).toBeGreaterThan(0);
    expect(workers.indexCpuMs as number).toBeGreaterThan(0);
    expect(noIndex.indexCpuMs).toBe(0);
    expect(workers.machineBusy as number).toBeGreaterThan(0);
    expect(workers.machineBusy as number).toBeLessThanOrEqual(1);
    expect(stdout).toContain('CPU per thread during each run');
  }, 30_000);

  it('prints its usage for --help and refuses an unknown or incomplete argument before it starts anything', async () => {
    const dispatch = fileURLToPath(new URL('../../bench/store-dispatch.js', import.meta.url));
    for (const file of [script, dispatch]) {
      const { stdout } = await runBench(['--help'], file);
      expect(stdout).toMatch(/^usage: npm run bench:(store|dispatch) -- /);
      await expect(runBench(['--quick', '--bogus'], file)).rejects.toThrow(/^bench failed \(exit code 2\)/);
      await expect(runBench(['--quick', '--bogus'], file)).rejects.toThrow(/unknown argument --bogus\nusage: /);
      await expect(runBench(['--messages'], file)).rejects.toThrow(/--messages needs a value/);
    }
    // Either script accepts the other's options: `npm run bench:store` passes one command line to both.
    const { stdout } = await runBench(['--messages', '1000', '--runs', 'workers-noindex', '--phases', 'sync', '--sync-seconds', '0.2'], dispatch);
    expect(stdout).toContain('"bench":"store-append-dispatch-workers-noindex"');
    await expect(runBench(['--phases', 'micro,bogus'])).rejects.toThrow(/unknown phase bogus/);
  }, 30_000);

  it('dispatch bench runs a subset with --runs and refuses an unknown run name', async () => {
    const dispatch = fileURLToPath(new URL('../../bench/store-dispatch.js', import.meta.url));
    const { stdout } = await runBench(['--messages', '2000', '--runs', 'workers-noindex'], dispatch);
    const benches = stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => (JSON.parse(l) as { bench: string }).bench);
    // No inline run to compare with, so no ratio line either.
    expect(benches).toEqual(['store-append-dispatch-workers-noindex']);
    await expect(runBench(['--runs', 'workers,bogus'], dispatch)).rejects.toThrow(/unknown run bogus/);
  }, 30_000);

  it('dispatch bench with --repeat reports the median round and the spread of rates and ratios', async () => {
    const dispatch = fileURLToPath(new URL('../../bench/store-dispatch.js', import.meta.url));
    const { stdout } = await runBench(['--messages', '1500', '--runs', 'inline,workers', '--repeat', '3'], dispatch);
    const rows = stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, number>);
    expect(rows).toHaveLength(2);
    for (const r of rows) {
      expect(r.repeats).toBe(3);
      expect(r.msgsPerSecMin).toBeLessThanOrEqual(r.msgsPerSec!);
      expect(r.msgsPerSec).toBeLessThanOrEqual(r.msgsPerSecMax!);
    }
    const workers = rows[1]!;
    expect(workers.ratioToInlineMin).toBeLessThanOrEqual(workers.ratioToInline!);
    expect(workers.ratioToInline).toBeLessThanOrEqual(workers.ratioToInlineMax!);
    await expect(runBench(['--repeat', '1.5'], dispatch)).rejects.toThrow(/whole number of rounds/);
  }, 60_000);
});
