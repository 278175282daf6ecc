import { describe, expect, it } from 'vitest';
import { DefaultMessageStore, type StoreConfig } from '../../src/store/index.js';
import { WorkerHa } from '../../src/workers/worker-ha.js';
import { scratchStores } from '../helpers/scratch-store.js';
import { queueBodies } from '../helpers/queue-bodies.js';
import { until } from '../helpers/until.js';
import { msg } from '../store/conformance.js';

const { cleanups, fresh } = scratchStores({ mappedFileSizeCommitLog: 64 * 1024, haSendHeartbeatInterval: 200, haHousekeepingInterval: 2000, slaveTimeout: 2000 });
const quiet = { info() {}, warn() {}, error() {} };

async function open(cfg: StoreConfig): Promise<{ store: DefaultMessageStore; ha: WorkerHa }> {
  const ha = new WorkerHa();
  const store = new DefaultMessageStore(cfg, { storeHost: '127.0.0.1:30911', logger: quiet, ha, haBindAddress: '127.0.0.1' });
  await store.start();
  cleanups.push(() => store.shutdown());
  return { store, ha };
}

const bodies = (s: DefaultMessageStore): string[] => queueBodies(s, 'WT', 0, 0);

describe('replication in HA workers', () => {
  it('replicates between two stores whose HA runs in workers, and survives either worker dying', async () => {
    const master = await open(fresh({ brokerRole: 'SYNC_MASTER', haListenPort: 0 }));
    const slave = await open(fresh({ brokerRole: 'SLAVE', haMasterAddress: `127.0.0.1:${master.ha.port}` }));
    await until(() => master.store.ha!.slaves === 1);
    const sent: string[] = [];
    const put = async (n: number) => {
      for (let i = 0; i < n; i++) {
        const body = `w${sent.length}-${'z'.repeat(500)}`;
        sent.push(body);
        const r = await master.store.putMessage(msg('WT', 0, body));
        expect(await master.store.waitReplica(r.wroteOffset + r.wroteBytes)).toBe('PUT_OK');
      }
    };
    await put(150);
    expect(bodies(slave.store)).toEqual(sent);

    // The master's worker dies: the master restarts it on the same port, the slave reconnects.
    const masterWorker = master.ha.currentWorker!;
    await masterWorker.terminate();
    await until(() => master.ha.currentWorker !== null && master.ha.currentWorker !== masterWorker && master.store.ha!.slaves === 1, 10_000);
    await put(50);

    // The slave's worker dies: it comes back from the slave's own end.
    const slaveWorker = slave.ha.currentWorker!;
    await slaveWorker.terminate();
    await until(() => slave.ha.currentWorker !== null && slave.ha.currentWorker !== slaveWorker && master.store.ha!.slaves === 1, 10_000);
    await put(50);
    await until(() => slave.store.getMaxPhyOffset() === master.store.getMaxPhyOffset());
    expect(bodies(slave.store)).toEqual(sent);
  });
});
