import type { StoreConfig } from './config.js';
import type { ConsumeQueueTable } from './consume-queue-table.js';
import type { DispatchRequest, Dispatcher } from './dispatch.js';
import { StoreError } from './errors.js';
import type { IndexService } from './index-service.js';
import { findProperty, PROPERTY } from './properties.js';
import type { StoreLogger } from './store-options.js';

/**
 * Dispatch on the append path (RocketMQ's CommitLogDispatcherBuildConsumeQueue and
 * BuildIndex): the consume queue unit first (readers wake on it), then the index entries.
 *
 * A unit or entry that cannot be written (disk full) must not fail the append whose record is
 * already in the commit log: as RocketMQ's RunningFlags do, the store stops taking appends
 * instead (`failure` is set, and stays set), and the next start rebuilds what is missing from
 * the commit log.
 */
export class InlineDispatch implements Dispatcher {
  failure: StoreError | null = null;
  private readonly cfg: StoreConfig;
  private readonly queues: ConsumeQueueTable;
  private readonly index: IndexService;
  private readonly log: StoreLogger;

  constructor(cfg: StoreConfig, queues: ConsumeQueueTable, index: IndexService, log: StoreLogger) {
    this.cfg = cfg;
    this.queues = queues;
    this.index = index;
    this.log = log;
  }

  dispatch(req: DispatchRequest): void {
    try {
      this.queues.dispatch(req);
      if (this.cfg.messageIndexEnable && req.properties.length > 0) {
        const keys = findProperty(req.properties, PROPERTY.KEYS) ?? null;
        const uniq = findProperty(req.properties, PROPERTY.UNIQ_KEY) ?? null;
        if (keys || uniq) this.index.buildIndex(req.topic, req.commitLogOffset, req.storeTimestamp, req.sysFlag, keys, uniq);
      }
    } catch (e) {
      if (this.failure === null) {
        this.failure = new StoreError('DISPATCH_FAILED', `consume queue or index write failed at commit log offset ${req.commitLogOffset}: appends are refused until restart`, { cause: e });
        // The message carries the cause's words (StoreError); a non-Error cause is shown as it is.
        this.log.error(e instanceof Error ? this.failure.message : `${this.failure.message}: ${String(e)}`);
      }
    }
  }
}
