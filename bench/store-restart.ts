import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DefaultMessageStore } from '../src/store/index.js';
import type { Result } from './report.js';

/**
 * Recovery: the throughput run's store opened again as a broker opens it, after its clean stop
 * (the last segments checked, nothing dispatched again) and after a simulated crash (the abort
 * marker put back: queues rebuilt from the checkpoint). Start is timed from construction to
 * `start()` resolving, workers included.
 */
export async function restartBenchmark(open: () => DefaultMessageStore, root: string, log: (m: string) => void): Promise<Result[]> {
  const results: Result[] = [];
  for (const kind of ['clean', 'crash'] as const) {
    if (kind === 'crash') writeFileSync(join(root, 'abort'), '');
    const t0 = performance.now();
    const store = open();
    await store.start();
    const ms = performance.now() - t0;
    const r = store.lastRecovery!;
    log(`restart after a ${kind} stop: ${ms.toFixed(0)} ms (${JSON.stringify(r)})`);
    results.push({ bench: `store-restart-${kind}`, ms, storeBytes: r.validEnd, redispatched: r.redispatched, pooled: r.pooled ? 1 : 0 });
    await store.shutdown();
  }
  return results;
}
