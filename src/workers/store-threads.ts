import type { StoreConfig } from '../store/config.js';
import { usesStagedWrites, type PagePopulator, type RemoteDispatcher } from '../store/index.js';
import { WorkerDispatcher } from './worker-dispatcher.js';
import { WorkerPagePopulator } from './page-populator.js';

/** The helper threads a store gets in a broker process (the store itself never imports src/workers). */
export interface StoreThreads {
  remoteDispatcher?: RemoteDispatcher;
  pagePopulator?: PagePopulator;
}

/**
 * Dispatch workers when `dispatchInWorkers`, and a page populator when appends write into the
 * mapping: it keeps the writer's next pages in the page cache from another core (see
 * WorkerPagePopulator). Staged writes (SYNC_FLUSH) never fault on the mapping: no populator.
 */
export function storeThreadsFor(cfg: StoreConfig, logger: { error(m: string): void }): StoreThreads {
  return {
    remoteDispatcher: cfg.dispatchInWorkers ? new WorkerDispatcher({ onError: (m) => logger.error(m) }) : undefined,
    pagePopulator: usesStagedWrites(cfg) ? undefined : new WorkerPagePopulator(),
  };
}
