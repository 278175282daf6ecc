import type { StoreConfig } from '../store/config.js';
import { type HaTransport, type PagePopulator, type RemoteDispatcher } from '../store/index.js';
import { WorkerHa } from './worker-ha.js';
import { WorkerDispatcher } from './worker-dispatcher.js';
import { WorkerPagePopulator } from './page-populator.js';

/** The helper threads a store gets in a broker process (the store itself never imports src/workers). */
export interface StoreThreads {
  remoteDispatcher?: RemoteDispatcher;
  pagePopulator?: PagePopulator;
  ha?: HaTransport;
}

/**
 * Dispatch workers when `dispatchInWorkers`, and a page populator under ASYNC_FLUSH: it keeps the
 * writer's next pages in the page cache from another core (see WorkerPagePopulator). With the
 * transient store pool it is asked only while commits fall behind (see StagedWrites.isBehind).
 * SYNC_FLUSH commits are paced by the disk, not by page allocation: no populator. Replication
 * (a master's HA server, a slave's HA client) always has a worker of its own.
 */
export function storeThreadsFor(cfg: StoreConfig, logger: { error(m: string): void }): StoreThreads {
  return {
    remoteDispatcher: cfg.dispatchInWorkers ? new WorkerDispatcher({ onError: (m) => logger.error(m) }) : undefined,
    pagePopulator: cfg.flushDiskType === 'SYNC_FLUSH' ? undefined : new WorkerPagePopulator(),
    ha: new WorkerHa(),
  };
}
