import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { cleanExpiredConsumeQueues, commitLogDir, consumeQueueDir, DefaultMessageStore, encodeProperties, MemoryMessageStore, storeConfig, type StoreConfig } from '../../src/store/index.js';
import { WorkerDispatcher } from '../../src/workers/worker-dispatcher.js';
import { RETENTION_TEST_CONFIG, scratchStores } from '../helpers/scratch-store.js';
import { until } from '../helpers/until.js';

const BODY = Buffer.alloc(1000, 0x62);
const stores = scratchStores(RETENTION_TEST_CONFIG);
const quiet = { info() {}, warn() {}, error: (m: string) => console.error(m) };

async function open(cfg: StoreConfig, workers: boolean): Promise<DefaultMessageStore> {
  const s = new DefaultMessageStore(cfg, { logger: quiet, remoteDispatcher: workers ? new WorkerDispatcher() : undefined });
  await s.start();
  stores.cleanups.push(() => s.shutdown());
  return s;
}

async function put(s: DefaultMessageStore, topic: string, queueId: number, n: number, properties = ''): Promise<void> {
  for (let i = 0; i < n; i++) expect((await s.putMessage({ topic, queueId, body: BODY, properties })).status).toBe('PUT_OK');
}

const segments = (cfg: StoreConfig) => readdirSync(commitLogDir(cfg)).filter((n) => /^\d{20}$/.test(n)).sort();

describe.each([false, true])('cleanExpiredConsumeQueues (dispatch in workers: %s)', (workers) => {
  it('deletes the topics whose every queue indexes only deleted messages, keeps the rest, and the topic starts over', async () => {
    const cfg = stores.fresh();
    const s = await open(cfg, workers);
    await put(s, 'Old', 0, 60);
    await put(s, 'Old', 1, 60);
    await put(s, 'Mixed', 0, 10);
    await put(s, 'SCHEDULE_TOPIC_XXXX', 0, 1, encodeProperties({ DELAY: '1', REAL_TOPIC: 'Old', REAL_QID: '0' }));
    await put(s, 'New', 0, 200);
    await put(s, 'Mixed', 1, 5);
    await s.whenDispatched(s.getMaxPhyOffset(), 10_000);

    // Nothing expired yet: nothing goes.
    expect(await cleanExpiredConsumeQueues(s)).toEqual({ deleted: [], partlyExpired: [] });

    // Every segment but the last expires and goes.
    const t = (Date.now() - 2 * 3_600_000) / 1000;
    for (const n of segments(cfg).slice(0, -1)) utimesSync(join(commitLogDir(cfg), n), t, t);
    await s.retention.runOnce();
    expect(s.getMinPhyOffset()).toBeGreaterThan(0);

    const r = await cleanExpiredConsumeQueues(s);
    expect(r.deleted).toEqual(['Old']);
    expect(r.partlyExpired).toEqual(['Mixed']);
    expect(s.topics().sort()).toEqual(['Mixed', 'New', 'SCHEDULE_TOPIC_XXXX']);
    await until(() => !existsSync(join(consumeQueueDir(cfg, 'Old', 0), '..')), 5000);
    // The kept ones still serve what they hold.
    expect(s.getMessage('g', 'Mixed', 1, 0, 8).status).toBe('FOUND');
    expect(s.getMaxOffsetInQueue('New', 0)).toBe(200);

    // A new message of the cleaned topic starts its queue over at offset 0.
    await put(s, 'Old', 0, 1);
    await s.whenDispatched(s.getMaxPhyOffset(), 10_000);
    const again = s.getMessage('g', 'Old', 0, 0, 8);
    expect(again.status).toBe('FOUND');
    expect(again.queueOffsets).toEqual([0]);
  });
});

it('a memory store has nothing that expires', async () => {
  const s = new MemoryMessageStore(storeConfig({ storePathRootDir: '/nonexistent' }), { storeHost: '127.0.0.1:1' });
  await s.start();
  await s.putMessage({ topic: 'T', queueId: 0, body: BODY });
  expect(await cleanExpiredConsumeQueues(s)).toEqual({ deleted: [], partlyExpired: [] });
  expect(s.topics()).toEqual(['T']);
  await s.shutdown();
});
