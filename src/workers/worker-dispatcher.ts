import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import type { StoreConfig } from '../store/config.js';
import { StoreError } from '../store/errors.js';
import type { DispatchRequest, RemoteDispatcher } from '../store/dispatch.js';
import { createRing, RingProducer } from './ring.js';
import { DISPATCH_FLAG_HAS_KEYS, DISPATCH_FLAG_HAS_UNIQ_KEY, INDEX_WAKE_BACKLOG, type DispatchControl, type DispatchWorkerData, type DispatchWorkerEvent, type WorkerRole } from './messages.js';

const WORKER_URL = new URL('./dispatch-worker.js', import.meta.url);

interface Supervised {
  role: WorkerRole;
  ring: SharedArrayBuffer;
  producer: RingProducer;
  worker: Worker | null;
  control: MessagePort | null;
  restarts: number;
  drained: Promise<void> | null;
  /** Deaths in a row without the ring's dispatched offset moving (reset by progress). */
  failures: number;
  /** The ring's dispatched offset when the current worker started. */
  startedAt: number;
  /** What the current worker died of, if it said. */
  lastError: Error | null;
  restartTimer: NodeJS.Timeout | null;
}

export interface WorkerDispatcherOptions {
  /** Build the index in its own worker (default: the store's messageIndexEnable). */
  index?: boolean;
  onError?: (message: string) => void;
  /** Delay before restarting a worker that died; doubles with each failure in a row (default 100 ms). */
  restartDelayMs?: number;
  /** Cap of that delay (default 5 s). */
  maxRestartDelayMs?: number;
  /** Failures in a row without progress after which dispatch is declared failed (default 6, about 3 s). */
  maxFailures?: number;
}

/**
 * Consume queue and index building in worker threads, fed through SharedArrayBuffer rings (one
 * per worker, no per-record postMessage). The append path stages each record's facts in the
 * rings; the dispatch worker writes consume queue units and publishes the dispatched offset,
 * which is what makes messages visible to pulls; the index worker reads keys from the commit
 * log and writes IndexFile entries.
 *
 * Supervision: a worker that dies is restarted on the same ring and resumes after its last
 * committed record (consume queue writes are idempotent by queue offset, index writes skip what
 * is already indexed), so nothing is skipped and nothing is visible twice. Restarts back off
 * exponentially; a worker that keeps dying without dispatching anything (a consume queue file it
 * cannot create, say) is given up on after maxFailures: `failure` is set, waiting appends fail
 * with it, and the store refuses new ones, as RocketMQ's does once its logics queue or index
 * cannot be written. Only a restart of the store clears it (recovery re-dispatches what is missing).
 */
export class WorkerDispatcher implements RemoteDispatcher {
  private readonly opts: WorkerDispatcherOptions;
  private cfg!: StoreConfig;
  private readonly topics = new Map<number, string>();
  /** Deleted topics for a restarted worker, which may meet their older records again. */
  private readonly deleted = new Map<string, number>();
  /** Retention's last commit log minimum, for a restarted worker. */
  private expiredBelow = 0;
  private dispatch!: Supervised;
  private index: Supervised | null = null;
  private stopping = false;
  /** Set once a worker is given up on (a StoreError 'DISPATCH_FAILED' whose cause is its last error). */
  failure: StoreError | null = null;
  /** End of the newest record handed to the index worker. */
  private lastIndexEnd = 0;
  onIndexCheckpoint?: (timestamp: number) => void;
  onLogicsCheckpoint?: (timestamp: number) => void;

  constructor(opts: WorkerDispatcherOptions = {}) {
    this.opts = opts;
  }

  async start(config: StoreConfig, fromOffset: number, topics: ReadonlyArray<readonly [number, string]>): Promise<void> {
    this.cfg = config;
    for (const [id, name] of topics) this.topics.set(id, name);
    this.dispatch = this.supervise('dispatch', fromOffset);
    const withIndex = this.opts.index ?? config.messageIndexEnable;
    this.index = withIndex ? this.supervise('index', fromOffset) : null;
    await Promise.all([this.spawn(this.dispatch), this.index && this.spawn(this.index)]);
  }

  private supervise(role: WorkerRole, fromOffset: number): Supervised {
    const slots = this.cfg.dispatchRingSlots;
    const ring = createRing(slots, fromOffset);
    // The index worker is not woken for every turn of the event loop, as the dispatch worker is:
    // nobody waits for its entries as pulls wait for queue units, and each wake-up costs the event
    // loop its CPU on a busy machine. It runs on its own every WORKER_IDLE_WAIT_MS, when records pile up,
    // or when somebody waits for it (waitIndexedPast).
    const producer = new RingProducer(ring, role === 'index' ? { wakeBacklog: Math.min(INDEX_WAKE_BACKLOG, slots >> 2) } : {});
    return { role, ring, producer, worker: null, control: null, restarts: 0, drained: null, failures: 0, startedAt: 0, lastError: null, restartTimer: null };
  }

  /** Starts (or restarts) the worker of `s` on its ring; resolves when it is ready. */
  private spawn(s: Supervised): Promise<void> {
    const { port1, port2 } = new MessageChannel();
    s.producer.clearStop();
    const data: DispatchWorkerData = { role: s.role, ring: s.ring, config: this.cfg, topics: [...this.topics], deleted: [...this.deleted], expiredBelow: this.expiredBelow, control: port2 };
    const worker = new Worker(WORKER_URL, { workerData: data, transferList: [port2] });
    s.worker = worker;
    s.control = port1;
    s.startedAt = s.producer.dispatchedOffset;
    s.lastError = null;
    let drainedResolve!: () => void;
    s.drained = new Promise<void>((r) => (drainedResolve = r));
    return new Promise<void>((resolve, reject) => {
      worker.on('message', (e: DispatchWorkerEvent) => {
        if (e.type === 'ready') resolve();
        else if (e.type === 'drained') drainedResolve();
        else if (e.type === 'index-checkpoint') this.onIndexCheckpoint?.(e.timestamp);
        else if (e.type === 'logics-checkpoint') this.onLogicsCheckpoint?.(e.timestamp);
        else if (e.type === 'error') this.opts.onError?.(`${s.role} worker: ${e.message}`);
      });
      worker.on('error', (err) => {
        s.lastError = err;
        this.opts.onError?.(`${s.role} worker failed: ${err.stack ?? String(err)}`);
        reject(err);
      });
      worker.on('exit', (code) => {
        drainedResolve();
        if (s.worker !== worker) return;
        s.worker = null;
        port1.close();
        if (!this.stopping) this.died(s, code);
      });
    });
  }

  /** Restarts a dead worker after a backoff, or gives up on it after too many failures in a row. */
  private died(s: Supervised, code: number): void {
    if (s.producer.dispatchedOffset > s.startedAt) s.failures = 0;
    s.failures++;
    const cause = s.lastError ?? new Error(`${s.role} worker exited with code ${code}`);
    if (s.failures >= (this.opts.maxFailures ?? 6)) {
      this.failure = new StoreError(
        'DISPATCH_FAILED',
        `${s.role} worker died ${s.failures} times in a row without dispatching anything; the store refuses appends until restarted (last error: ${cause.message})`,
        { cause },
      );
      this.opts.onError?.(`${this.failure.message}\n${cause.stack ?? ''}`);
      s.producer.abort(this.failure);
      return;
    }
    s.restarts++;
    const delay = Math.min((this.opts.restartDelayMs ?? 100) * 2 ** (s.failures - 1), this.opts.maxRestartDelayMs ?? 5000);
    this.opts.onError?.(`${s.role} worker exited (code ${code}); restarting in ${delay} ms from the last dispatched record`);
    s.restartTimer = setTimeout(() => {
      s.restartTimer = null;
      if (!this.stopping) this.spawn(s).catch(() => undefined);
    }, delay);
  }

  registerTopic(topicId: number, topic: string): void {
    this.topics.set(topicId, topic);
    const msg: DispatchControl = { type: 'topic-registered', topicId, topic };
    this.dispatch.control?.postMessage(msg);
    this.index?.control?.postMessage(msg);
  }

  offer(req: DispatchRequest, topicId: number, flags: number, keyHashes: Int32Array | null = null): Promise<void> | undefined {
    const p = this.dispatch.producer;
    let wait: Promise<void> | undefined;
    if (!p.tryPush(req.commitLogOffset, req.msgSize, topicId, req.queueId, req.consumeQueueOffset, req.tagsCode, req.storeTimestamp, flags)) {
      wait = p.pushAsync(req.commitLogOffset, req.msgSize, topicId, req.queueId, req.consumeQueueOffset, req.tagsCode, req.storeTimestamp, flags);
    }
    const ix = this.index?.producer;
    if (ix && flags & (DISPATCH_FLAG_HAS_KEYS | DISPATCH_FLAG_HAS_UNIQ_KEY)) {
      this.lastIndexEnd = req.commitLogOffset + req.msgSize;
      if (!ix.tryPush(req.commitLogOffset, req.msgSize, topicId, req.queueId, req.consumeQueueOffset, req.tagsCode, req.storeTimestamp, flags, keyHashes)) {
        const w = ix.pushAsync(req.commitLogOffset, req.msgSize, topicId, req.queueId, req.consumeQueueOffset, req.tagsCode, req.storeTimestamp, flags, keyHashes);
        wait = wait ? Promise.all([wait, w]).then(() => undefined) : w;
      }
    }
    return wait;
  }

  publish(wake = true): void {
    this.dispatch.producer.publish(wake);
    this.index?.producer.publish(false);
  }

  get dispatchedOffset(): number {
    return this.dispatch.producer.dispatchedOffset;
  }

  waitDispatchedPast(offset: number, timeoutMs: number): Promise<boolean> {
    return this.dispatch.producer.waitDispatchedPast(offset, timeoutMs);
  }

  /** The index ring only carries records with keys: once it is past the newest of them, all is indexed. */
  waitIndexedPast(offset: number, timeoutMs: number): Promise<boolean> {
    if (!this.index || this.lastIndexEnd === 0) return Promise.resolve(true);
    this.index.producer.publish(true);
    return this.index.producer.waitDispatchedPast(Math.min(offset, this.lastIndexEnd - 1), timeoutMs);
  }

  deleteTopic(topic: string, appendedBelow: number): void {
    this.deleted.set(topic, appendedBelow);
    const msg: DispatchControl = { type: 'delete-topic', topic, appendedBelow };
    this.dispatch.control?.postMessage(msg);
  }

  deleteExpired(minPhyOffset: number): void {
    this.expiredBelow = Math.max(this.expiredBelow, minPhyOffset);
    const msg: DispatchControl = { type: 'delete-expired', minPhyOffset };
    this.dispatch.control?.postMessage(msg);
    this.index?.control?.postMessage(msg);
  }

  /** For tests of supervision: kills one worker as a crash would. */
  async crashWorkerForTest(role: WorkerRole): Promise<void> {
    const s = role === 'dispatch' ? this.dispatch : this.index;
    await s?.worker?.terminate();
  }

  async shutdown(): Promise<void> {
    const all = [this.dispatch, this.index].filter((s): s is Supervised => s !== null);
    // Records accepted before shutdown but still waiting for ring space go in first, with the
    // workers (and their supervision) still running to make that space.
    await Promise.all(all.map((s) => s.producer.settled()));
    this.stopping = true;
    for (const s of all) {
      if (!s.restartTimer) continue;
      // Waiting out a backoff: one more worker, to dispatch what the ring still holds.
      clearTimeout(s.restartTimer);
      s.restartTimer = null;
      this.spawn(s).catch(() => undefined);
    }
    for (const s of all) s.producer.requestStop();
    await Promise.all(all.map((s) => s.drained));
    await Promise.all(all.map((s) => s.worker?.terminate()));
    for (const s of all) s.control?.close();
  }

  stats(): Record<string, number> {
    return {
      dispatchRingSize: this.dispatch.producer.size,
      dispatchRingStalls: this.dispatch.producer.stalls,
      indexRingStalls: this.index?.producer.stalls ?? 0,
      workerRestarts: this.dispatch.restarts + (this.index?.restarts ?? 0),
      dispatchFailed: this.failure ? 1 : 0,
    };
  }
}
