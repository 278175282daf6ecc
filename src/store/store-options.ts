import type { RemoteDispatcher } from './dispatch.js';
import type { PagePopulator } from './page-populator.js';
import type { RetentionHooks } from './clean-service.js';
import type { HaTransport } from './ha.js';

/** What DefaultMessageStore takes besides its config. */
export interface StoreLogger {
  info(m: string): void;
  warn(m: string): void;
  error(m: string): void;
}

export interface StoreOptions {
  /** "ip:port" written as STOREHOSTADDRESS and used in message ids. */
  storeHost?: string;
  logger?: StoreLogger;
  /**
   * Build consume queues and the index elsewhere (src/workers' WorkerDispatcher); inline on the
   * append path when absent. Recovery always dispatches inline, before the remote one starts.
   */
  remoteDispatcher?: RemoteDispatcher;
  /** Populates commit log pages ahead of the writer in another thread (src/workers' WorkerPagePopulator). */
  pagePopulator?: PagePopulator;
  /**
   * Master/slave replication by `brokerRole`: a master serves slaves on `haListenPort`, a slave
   * follows its master. Off when absent. InProcessHa runs it on this thread; a broker gives it a
   * worker (src/workers' WorkerHa).
   */
  ha?: HaTransport;
  /** Interface the HA server listens on (all when absent, as RocketMQ). */
  haBindAddress?: string;
  /** Tests only: retention's clock, disk figures and first delays (see CleanService). */
  retentionHooks?: RetentionHooks;
}

/** Warnings and errors to the console, nothing else: the default for an embedded store. */
export const quietLogger: StoreLogger = { info() {}, warn: (m) => console.warn(m), error: (m) => console.error(m) };
