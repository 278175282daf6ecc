import type { StoreConfig } from '../store/config.js';
import type { PagePopulator, RemoteDispatcher } from '../store/index.js';
import { WorkerDispatcher } from './worker-dispatcher.js';
import { WorkerPagePopulator } from './page-populator.js';

/** The helper threads a store gets in a broker process (the store itself never imports src/workers). */
export interface StoreThreads {
  remoteDispatcher?: RemoteDispatcher;
  pagePopulator?: PagePopulator;
}

/**
 * Dispatch workers when `dispatchInWorkers`, and always a page populator: it keeps the writer's
 * next pages in the page cache from another core (see WorkerPagePopulator).
 */
export function storeThreadsFor(cfg: StoreConfig, logger: { error(m: string): void }): StoreThreads {
  return {
    remoteDispatcher: cfg.dispatchInWorkers ? new WorkerDispatcher({ onError: (m) => logger.error(m) }) : undefined,
    pagePopulator: new WorkerPagePopulator(),
  };
}
