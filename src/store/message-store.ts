import type { StoreConfig } from './config.js';
import type { HostAddress, MessageArrivingListener, MessageInput, MessageStore, PutMessageResult, QueryMessageResult } from './types.js';
import { CommitLog, type AppendResult } from './commit-log.js';
import { ShutdownSteps } from './shutdown-steps.js';
import { ConsumeQueueTable } from './consume-queue-table.js';
import { StoreCheckpoint, abortMarker } from './checkpoint.js';
import { CommitLogFlusher, flushTiming } from './flush.js';
import { openAndRecover, type RecoveryResult } from './recovery.js';
import { StoreReads, type RecordLog } from './store-reads.js';
import type { ConsumeQueue } from './consume-queue.js';
import { parseHostAddress } from './message-codec.js';
import { abortPath, checkpointPath, prepareStoreRoot } from './file-names.js';
import { StoreLock } from './store-lock.js';
import { collectGarbageSoon } from './collect-garbage.js';
import { StoreError } from './errors.js';
import type { DispatchRequest, Dispatcher, RemoteDispatcher } from './dispatch.js';
import { RemoteDispatchBridge } from './remote-dispatch.js';
import type { PagePopulator } from './page-populator.js';
import { IndexService } from './index-service.js';
import { IndexQueryPool } from './index-query-pool.js';
import { KeyQueries } from './key-queries.js';
import { InlineDispatch } from './inline-dispatch.js';
import { CleanService } from './clean-service.js';
import { quietLogger, type StoreLogger, type StoreOptions } from './store-options.js';
import { HaService, type ReplicaStatus } from './ha.js';
import { withTimeout } from './timeout.js';
import { ReplicaAppender } from './replica-append.js';
import { fileLimitWarnings } from './file-budget.js';

export type { StoreLogger, StoreOptions } from './store-options.js';

/**
 * The file-backed message store: wiring of commit log, consume queues, flush, checkpoint and
 * recovery. Not thread-safe: use it from one thread (the broker's event loop).
 */
export class DefaultMessageStore extends StoreReads implements MessageStore {
  readonly config: StoreConfig;
  storeHost: HostAddress;
  readonly commitLog: CommitLog;
  readonly consumeQueues: ConsumeQueueTable;
  readonly index: IndexService;
  private readonly log: StoreLogger;
  private checkpoint: StoreCheckpoint | null = null;
  private flusher: CommitLogFlusher | null = null;
  /** Held from start to the end of shutdown (see StoreLock). */
  private lock: StoreLock | null = null;
  private cqFlushTimer: NodeJS.Timeout | null = null;
  private running = false;
  lastRecovery: RecoveryResult | null = null;
  private readonly remote: RemoteDispatcher | null;
  private readonly populator: PagePopulator | null;
  /** With dispatch workers: store time of the newest record whose unit the worker has flushed. */
  private durableLogicsTimestamp = 0;
  private readonly bridge: RemoteDispatchBridge | null;
  private readonly keyQueries: KeyQueries;
  private remoteActive = false;
  private readonly inline: InlineDispatch;
  /** Deletes expired commit log, consume queue and index files (RocketMQ's clean services). */
  readonly retention: CleanService;
  readonly ha: HaService | null;

  constructor(config: StoreConfig, opts: StoreOptions = {}) {
    super();
    this.config = config;
    this.storeHost = parseHostAddress(opts.storeHost ?? '127.0.0.1:10911');
    this.log = opts.logger ?? quietLogger;
    this.consumeQueues = new ConsumeQueueTable(config);
    this.remote = opts.remoteDispatcher ?? null;
    this.populator = opts.pagePopulator ?? null;
    this.bridge = this.remote ? new RemoteDispatchBridge(this.remote, this.consumeQueues, config.messageIndexEnable) : null;
    // The checkpoint's logics time may only cover units the worker has flushed: recovery after a
    // power loss re-dispatches from it, and units past it that never reached disk would be lost.
    if (this.remote) this.remote.onLogicsCheckpoint = (ts) => (this.durableLogicsTimestamp = ts);
    if (this.remote) this.remote.onIndexCheckpoint = (ts) => {
      if (this.checkpoint) this.checkpoint.indexMsgTimestamp = ts;
    };
    const queryPool = new IndexQueryPool();
    this.index = new IndexService(config, {
      onIndexCheckpoint: (ts) => {
        if (this.checkpoint) this.checkpoint.indexMsgTimestamp = ts;
      },
      queryPool: queryPool,
    });
    this.inline = new InlineDispatch(config, this.consumeQueues, this.index, this.log);
    this.commitLog = new CommitLog(config, this.storeHost, this.dispatcher);
    this.commitLog.onError = (e) => this.log.error(String(e));
    this.keyQueries = new KeyQueries(config, this.index, this.commitLog, queryPool);
    this.retention = new CleanService({
      cfg: config, commitLog: this.commitLog, consumeQueues: this.consumeQueues, index: this.index, log: this.log,
      remote: () => (this.remoteActive ? this.remote : null),
      // The index worker deletes its files a pass earlier: let go of their mappings.
      afterPass: () => this.keyQueries.refresh(),
      hooks: opts.retentionHooks,
    });
    this.commitLog.onDispatched = () => {
      if (!this.remoteActive) return;
      this.remote!.publish();
      this.bridge!.drain();
    };
    const replica = () => new ReplicaAppender(config, this.commitLog, this.dispatcher, () => (this.commitLog.onDispatched?.(), this.roomInRing()), this.log);
    this.ha = opts.ha ? new HaService(config, opts.ha, this.commitLog, replica(), this.log, opts.haBindAddress) : null;
    this.commitLog.onCommitted = this.ha ? () => this.ha!.written() : null;
  }

  private async releaseLock(): Promise<void> {
    const lock = this.lock;
    this.lock = null;
    await lock?.release();
  }

  private readonly dispatcher: Dispatcher = {
    dispatch: (req: DispatchRequest) => (this.remoteActive ? this.bridge!.dispatch(req) : this.inline.dispatch(req)),
  };

  setStoreHost(storeHost: string): void {
    if (this.running) throw new StoreError('SERVICE_NOT_AVAILABLE', 'the store host can only change before start()');
    this.storeHost = parseHostAddress(storeHost);
    this.commitLog.storeHost = this.storeHost;
  }

  async start(): Promise<void> {
    const root = this.config.storePathRootDir;
    prepareStoreRoot(root);
    // Before anything is read: recovery must never run on files another store is writing.
    this.lock = await StoreLock.acquire(root, (why) => this.log.warn(`store ${root}: ${why}; its directory is locked against this network namespace only until the store restarts`));
    if (this.lock.flockUnavailable) this.log.info(`store ${root}: locked against this network namespace only (${this.lock.flockUnavailable})`);
    try {
      await this.startLocked(root);
    } catch (e) {
      await this.releaseLock();
      throw e;
    }
  }

  private async startLocked(root: string): Promise<void> {
    let lastExitOK = !abortMarker.exists(abortPath(this.config));
    this.checkpoint = new StoreCheckpoint(checkpointPath(this.config));
    if (this.checkpoint.damage) {
      // Without its times nothing says which records were flushed and dispatched: recover as after
      // a crash, from the first segment, rebuilding queues and index. Stored data stays as it is.
      this.log.warn(`${this.checkpoint.damage}: recovering as after a crash, checking the commit log from its first segment and rebuilding the index`);
      abortMarker.create(abortPath(this.config));
      this.checkpoint.reset();
      lastExitOK = false;
    }
    try {
      this.lastRecovery = await openAndRecover({ config: this.config, commitLog: this.commitLog, consumeQueues: this.consumeQueues, index: this.index, checkpoint: this.checkpoint, dispatcher: this.dispatcher, populator: this.populator, warn: (m) => this.log.warn(m) }, lastExitOK);
    } catch (e) {
      this.checkpoint.close();
      this.checkpoint = null;
      throw e;
    }
    if (!lastExitOK) this.log.warn(`store ${root}: abort marker found, recovered after a crash (${JSON.stringify(this.lastRecovery)})`);
    else if (this.lastRecovery.validEnd > 0) this.log.info(`store ${root}: recovered after a clean stop (${JSON.stringify(this.lastRecovery)})`);
    for (const w of fileLimitWarnings()) this.log.warn(`store ${root}: ${w}`);
    abortMarker.create(abortPath(this.config));
    this.flusher = new CommitLogFlusher(this.commitLog.queue, {
      ...flushTiming(this.config),
      lastStoreTimestamp: () => this.commitLog.lastStoreTimestamp,
      onFlushed: (ts) => {
        if (this.checkpoint) this.checkpoint.physicMsgTimestamp = ts;
      },
      onError: (e) => this.log.error(`commit log flush failed: ${String(e)}`),
    });
    this.flusher.start();
    this.cqFlushTimer = setInterval(() => void this.flushConsumeQueues(), this.config.flushIntervalConsumeQueue);
    this.cqFlushTimer.unref();
    this.running = true;
    if (this.remote) await this.startRemoteDispatch();
    await this.ha?.start().catch((e: unknown) => this.shutdown().then(() => Promise.reject(e))); // nothing left running
    this.retention.start();
  }

  /**
   * Hands consume queue and index building to the remote dispatcher: what recovery wrote is made
   * durable, this thread's queues become readers of the workers' files, and the workers start
   * with everything after the commit log's end.
   */
  private async startRemoteDispatch(): Promise<void> {
    await this.consumeQueues.flush();
    await this.index.close();
    for (const cq of this.consumeQueues.all()) cq.follow();
    this.bridge!.seedTopics(this.consumeQueues.topics());
    this.bridge!.listener = this.consumeQueues.listener;
    await this.remote!.start(this.config, this.commitLog.maxOffset, this.bridge!.topics);
    this.remoteActive = true;
    this.bridge!.watch(() => this.running);
  }

  /** Reads see every unit the workers have dispatched (and none they have not). */
  protected override beforeRead(): void {
    if (this.remoteActive) this.bridge!.drain();
  }

  protected readLog(): RecordLog {
    return this.commitLog;
  }

  protected readQueue(topic: string, queueId: number): ConsumeQueue | undefined {
    return this.consumeQueues.find(topic, queueId);
  }

  private async flushConsumeQueues(): Promise<void> {
    try {
      if (this.remoteActive) {
        if (this.checkpoint && this.durableLogicsTimestamp > 0) {
          this.checkpoint.logicsMsgTimestamp = this.durableLogicsTimestamp;
          await this.checkpoint.flush();
        }
        return;
      }
      const ts = this.consumeQueues.lastDispatchedTimestamp;
      await this.consumeQueues.flush();
      await this.index.settle();
      if (this.checkpoint && ts > 0) {
        this.checkpoint.logicsMsgTimestamp = ts;
        await this.checkpoint.flush();
      }
    } catch (e) {
      this.log.error(`consume queue flush failed: ${String(e)}`);
    }
  }

  /**
   * Stops everything, in order. A step that fails (a full disk, no descriptors left) is logged and
   * the others still run, so files are closed and the lock released; the stop is then not clean
   * (the abort marker stays, the next start recovers as after a crash) and the first error is
   * thrown at the end.
   */
  async shutdown(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    const steps = new ShutdownSteps((m) => this.log.error(`store shutdown: ${m}`));
    await steps.run('stopping HA', () => this.ha?.close());
    await steps.run('stopping retention', () => this.retention.stop());
    this.flusher?.stop();
    if (this.cqFlushTimer) clearInterval(this.cqFlushTimer);
    await steps.run('flushing the commit log', () => this.flusher?.flushAll());
    this.commitLog.staged?.stop();
    let logics = this.consumeQueues.lastDispatchedTimestamp;
    if (this.remoteActive) {
      await steps.run('stopping the dispatch workers', () => this.remote!.shutdown());
      this.bridge!.drain();
      this.remoteActive = false;
      logics = this.bridge!.lastDispatchedTimestamp;
    } else {
      await steps.run('flushing the consume queues', () => this.consumeQueues.flush());
      await steps.run('closing the index', () => this.index.close());
    }
    if (this.checkpoint) {
      this.checkpoint.physicMsgTimestamp = this.commitLog.lastStoreTimestamp;
      this.checkpoint.logicsMsgTimestamp = logics || this.commitLog.lastStoreTimestamp;
      await steps.run('writing the checkpoint', () => this.checkpoint!.flushSync());
      this.checkpoint.close();
    }
    this.commitLog.queue.close();
    this.consumeQueues.close();
    await steps.run('stopping the page populator', () => this.populator?.close());
    await steps.run('stopping the index query pool', () => this.keyQueries.close());
    // As RocketMQ's shutdown: a stop is clean only if every record reached its queues. The next
    // start trusts the queues of a clean stop; after a failed dispatch it must rebuild them.
    const failure = this.remote?.failure ?? this.inline.failure;
    if (failure) this.log.warn(`store ${this.config.storePathRootDir}: consume queues or index are behind the commit log (${String(failure)}); the next start recovers as after a crash`);
    else if (steps.failed.length === 0) abortMarker.remove(abortPath(this.config));
    await this.releaseLock();
    if (steps.failed.length > 0) throw steps.failed[0];
  }

  private ensureWritable(): void {
    if (!this.running) throw new StoreError('SERVICE_NOT_AVAILABLE', 'message store is not running');
    // As RocketMQ's store once a consume queue or index write failed: nothing more is stored.
    if (this.remote?.failure) throw this.remote.failure;
    if (this.inline.failure) throw this.inline.failure;
    if (this.flusher?.failure) throw this.flusher.failure;
    if (this.commitLog.staged?.failure) throw this.commitLog.staged.failure;

    if (this.retention.diskFull) throw new StoreError('SERVICE_NOT_AVAILABLE', 'the disk is full (above the warning level): appends are refused until expired files are deleted');
  }

  putMessage(msg: MessageInput): Promise<PutMessageResult> {
    try {
      this.ensureWritable();
      return this.complete(this.commitLog.append(msg));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  putMessages(msgs: MessageInput[]): Promise<PutMessageResult> {
    try {
      this.ensureWritable();
      return this.complete(this.commitLog.appendBatch(msgs));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** The append is done; what remains is waiting for room in the ring and for the disk. */
  private complete(r: AppendResult): Promise<PutMessageResult> {
    const result: PutMessageResult = r;
    this.ha?.written();
    const end = r.wroteOffset + r.wroteBytes;
    const sync = this.config.flushDiskType === 'SYNC_FLUSH';
    if (this.commitLog.staged) {
      // Records are dispatched (and published to the workers) as they are committed.
      if (!sync) {
        // RocketMQ's transient store pool under ASYNC_FLUSH: acknowledged once in the staging
        // buffer, not once committed. The commit's write(2) can block for milliseconds behind
        // writeback (block allocation holds the inode's extent lock), and waiting for it put those
        // stalls into every send's round trip. The cost is RocketMQ's too: a killed process loses
        // what it had staged but not committed (at most the staging memory, usually one turn).
        const room = this.roomInRing();
        return room ? room.then(() => result) : Promise.resolve(result);
      }
      return this.flusher!.waitFor(end).then((flushed): PutMessageResult | Promise<PutMessageResult> => {
        if (!flushed) result.status = 'FLUSH_DISK_TIMEOUT';
        const room = this.roomInRing();
        return room ? room.then(() => result) : result;
      });
    }
    const room = this.remoteActive ? this.bridge!.afterAppend() : undefined;
    // A full ring pushes back on producers instead of growing memory.
    if (!sync) return room ? room.then(() => result) : Promise.resolve(result);
    return (room ?? Promise.resolve()).then(() => this.flusher!.waitFor(end)).then((flushed) => {
      if (!flushed) result.status = 'FLUSH_DISK_TIMEOUT';
      return result;
    });
  }

  waitReplica(end: number): Promise<ReplicaStatus> {
    return this.ha ? this.ha.waitReplica(end) : Promise.resolve('SLAVE_NOT_AVAILABLE');
  }

  updateHaMasterAddress(addr: string): void {
    this.ha?.updateMasterAddress(addr);
  }

  /** The wait for room of the last dispatch that found the ring full, if any (taken once). */
  private roomInRing(): Promise<void> | undefined {
    return this.remoteActive ? this.bridge!.takePending() : undefined;
  }

  queryMessage(topic: string, key: string, maxNum: number, begin: number, end: number): Promise<QueryMessageResult> {
    return this.keyQueries.query(topic, key, maxNum, begin, end, this.remoteActive);
  }

  deleteTopics(topics: string[]): void {
    // Records appended before now may not be dispatched yet (SYNC_FLUSH holds them until written,
    // workers read them from a ring): they must not come back into the new queues.
    const appendedBelow = this.commitLog.maxOffset;
    for (const t of topics) {
      if (/[/\\\0]/.test(t) || t === '.' || t === '..' || t === '') continue;
      if (this.remoteActive) {
        this.remote!.deleteTopic(t, appendedBelow);
        this.bridge!.forgetTopic(t);
        this.consumeQueues.forgetTopic(t);
        this.commitLog.removeTopic(t);
        continue;
      }
      this.consumeQueues.deleteTopic(t, appendedBelow);
      this.commitLog.removeTopic(t);
    }
    // The deleted queue files (or this thread's views of them) keep their blocks while mapped.
    collectGarbageSoon();
  }

  executeDeleteFilesManually(): void {
    this.retention.executeDeleteFilesManually();
  }

  queueIds(topic: string): number[] {
    this.beforeRead();
    return this.consumeQueues.queueIds(topic);
  }

  topics(): string[] {
    this.beforeRead();
    return this.consumeQueues.topics();
  }

  setMessageArrivingListener(listener: MessageArrivingListener | null): void {
    this.consumeQueues.listener = listener;
    if (this.bridge) this.bridge.listener = listener;
  }

  async whenDispatched(commitLogOffset: number, timeoutMs = 3000): Promise<boolean> {
    if (commitLogOffset <= 0) return true;
    // Staged records are dispatched as they are committed.
    if (this.commitLog.staged && !(await withTimeout(this.commitLog.whenCommitted(commitLogOffset), timeoutMs))) return false;
    if (!this.remoteActive) return true;
    const [queued, indexed] = await Promise.all([
      this.remote!.waitDispatchedPast(commitLogOffset - 1, timeoutMs),
      this.remote!.waitIndexedPast?.(commitLogOffset - 1, timeoutMs) ?? true,
    ]);
    this.bridge!.drain();
    return queued && indexed;
  }

  runtimeInfo(): Record<string, string> {
    return {
      commitLogMinOffset: String(this.commitLog.minOffset),
      commitLogMaxOffset: String(this.commitLog.maxOffset),
      dispatchBehindBytes: String(this.remoteActive ? this.commitLog.maxOffset - this.remote!.dispatchedOffset : 0),
      putMessageTimesTotal: String(this.commitLog.putMessageTimesTotal),
      putMessageSizeTotal: String(this.commitLog.putMessageSizeTotal),
      remainHowManyDataToFlush: String(this.commitLog.queue.unflushedBytes),
      preallocatedSegmentsServed: String(this.commitLog.queue.allocatorStats.served),
      earliestMessageTimeStamp: String(this.getEarliestMessageTime()),
      ...(this.commitLog.staged ? { commitLogCommitWrites: String(this.commitLog.staged.commitWrites), commitLogCommitWriteMs: this.commitLog.staged.commitWriteMs.toFixed(1) } : {}),
      ...(this.remote && this.remoteActive ? Object.fromEntries(Object.entries(this.remote.stats()).map(([k, v]) => [k, String(v)])) : {}),
      ...this.ha?.runtimeInfo(),
    };
  }
}
