import { expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DefaultMessageStore, storeConfig } from '../../src/store/index.js';
import { WorkerDispatcher } from '../../src/workers/worker-dispatcher.js';
import { tempDir } from '../helpers/store-paths.js';
import { until } from '../helpers/until.js';

const quiet = { info() {}, warn() {}, error() {} };

/**
 * Recovery after a power loss re-dispatches from the checkpoint's logics time, so with dispatch
 * workers that time may only advance to records whose consume queue units the worker has
 * flushed, which it reports after each flush.
 */
it('the logics checkpoint follows the dispatch worker flushes', async () => {
  const t = tempDir();
  const cfg = storeConfig({ storePathRootDir: t.dir, mappedFileSizeCommitLog: 1 << 20, mappedFileSizeConsumeQueue: 6000, flushIntervalConsumeQueue: 50 });
  const workers = new WorkerDispatcher();
  const reported: number[] = [];
  const store = new DefaultMessageStore(cfg, { remoteDispatcher: workers, logger: quiet });
  const onLogics = workers.onLogicsCheckpoint;
  expect(onLogics).toBeTypeOf('function');
  workers.onLogicsCheckpoint = (ts) => {
    reported.push(ts);
    onLogics!(ts);
  };
  await store.start();
  try {
    for (let i = 1; i <= 3; i++) await store.putMessage({ topic: 'C', queueId: 0, body: Buffer.from(`m${i}`), storeTimestamp: 1_700_000_000_000 + i });
    await until(() => reported.includes(1_700_000_000_003), 5000);
    // The store writes it into the checkpoint file (bytes 8..16: logicsMsgTimestamp) on its next flush.
    await until(() => readFileSync(join(t.dir, 'checkpoint')).readBigInt64BE(8) === 1_700_000_000_003n, 5000);
  } finally {
    await store.shutdown();
    t.cleanup();
  }
});
