import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../net/helpers.js';

/**
 * `npm run bench` in small: the compiled benchmark starts its own NameServer and broker, sends for
 * a bounded time, stops by itself and prints progress lines and one JSON result line. Speed is not
 * asserted (the machine is shared); the shape and sanity of the result are.
 */
function runBench(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(repoRoot, 'dist/bench/e2e.js'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`bench did not stop by itself within 60 s:\n${out}`));
    }, 60_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

function resultLine(out: string): Record<string, unknown> {
  const line = out.split('\n').find((l) => l.startsWith('{"bench":"e2e-send"'));
  expect(line, out).toBeDefined();
  return JSON.parse(line!) as Record<string, unknown>;
}

describe('npm run bench (e2e)', () => {
  it('single sends with consumers: progress lines, a table and the JSON result with consume figures', async () => {
    const { code, out } = await runBench(['--duration', '2', '--warmup', '0', '--window', '50', '--size', '256', '--queues', '2', '--consume']);
    expect(code, out).toBe(0);
    expect(out).toMatch(/\[ {2}1s\] Send TPS: \d+ {2}Average RT\(ms\): [\d.]+ {2}p99 RT\(ms\): [\d.]+ {2}Max RT\(ms\): [\d.]+ {2}Send Failed: 0 {2}Consume TPS: \d+/);
    const r = resultLine(out);
    expect(r).toMatchObject({ bench: 'e2e-send', failures: 0, sizeBytes: 256, window: 50, batch: 1, flushDiskType: 'ASYNC_FLUSH' });
    for (const k of ['msgsPerSec', 'avgMs', 'p99Ms', 'maxMs', 'brokerRssAnonMB', 'startToReadyMs', 'consumeMsgsPerSec', 'e2eP50Ms', 'e2eP99Ms']) {
      expect(typeof r[k], k).toBe('number');
      expect(r[k] as number, k).toBeGreaterThan(0);
    }
    expect(r.p99Ms as number).toBeLessThanOrEqual(r.maxMs as number);
    expect(r.e2eP50Ms as number).toBeLessThanOrEqual(r.e2eP99Ms as number);
    expect(r.consumed).toBe(r.messages);
  });

  it("batch sends with a message limit and keys, in RocketMQ's benchmark options, on a broker with extra properties named in the result", async () => {
    const { code, out } = await runBench(['-q', '2000', '--warmup', '0', '-b', '8', '-w', '8', '-s', '128', '-k', 'true', '--broker-prop', 'transientStorePoolEnable=true']);
    expect(code, out).toBe(0);
    const r = resultLine(out);
    expect(r).toMatchObject({ bench: 'e2e-send', failures: 0, batch: 8, window: 8, sizeBytes: 128, keys: true, messages: 2000, brokerProps: 'transientStorePoolEnable=true' });
  });
});
