import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import type { StoreConfig } from '../store/config.js';
import type { DispatchRequest, RemoteDispatcher } from '../store/dispatch.js';
import { createRing, RingProducer } from './ring.js';
import { DISPATCH_FLAG_HAS_KEYS, DISPATCH_FLAG_HAS_UNIQ_KEY, type DispatchControl, type DispatchWorkerData, type DispatchWorkerEvent, type WorkerRole } from './messages.js';

const WORKER_URL = new URL('./dispatch-worker.js', import.meta.url);

interface Supervised {
  role: WorkerRole;
  ring: SharedArrayBuffer;
  producer: RingProducer;
  worker: Worker | null;
  control: MessagePort | null;
  restarts: number;
  drained: Promise<void> | null;
}

export interface WorkerDispatcherOptions {
  /** Build the index in its own worker (default: the store's messageIndexEnable). */
  index?: boolean;
  onError?: (message: string) => void;
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
 * is already indexed), so nothing is skipped and nothing is visible twice.
 */
export class WorkerDispatcher implements RemoteDispatcher {
  private readonly opts: WorkerDispatcherOptions;
  private cfg!: StoreConfig;
  private readonly topics = new Map<number, string>();
  /** Deleted topics for a restarted worker, which may meet their older records again. */
  private readonly deleted = new Map<string, number>();
  private dispatch!: Supervised;
  private index: Supervised | null = null;
  private stopping = false;
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
    const ring = createRing(this.cfg.dispatchRingSlots, fromOffset);
    return { role, ring, producer: new RingProducer(ring), worker: null, control: null, restarts: 0, drained: null };
  }

  /** Starts (or restarts) the worker of `s` on its ring; resolves when it is ready. */
  private spawn(s: Supervised): Promise<void> {
    const { port1, port2 } = new MessageChannel();
    s.producer.clearStop();
    const data: DispatchWorkerData = { role: s.role, ring: s.ring, config: this.cfg, topics: [...this.topics], deleted: [...this.deleted], control: port2 };
    const worker = new Worker(WORKER_URL, { workerData: data, transferList: [port2] });
    s.worker = worker;
    s.control = port1;
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
        this.opts.onError?.(`${s.role} worker failed: ${err.stack ?? String(err)}`);
        reject(err);
      });
      worker.on('exit', (code) => {
        drainedResolve();
        if (s.worker !== worker) return;
        s.worker = null;
        port1.close();
        if (!this.stopping) {
          s.restarts++;
          this.opts.onError?.(`${s.role} worker exited (code ${code}); restarting from the last dispatched record`);
          this.spawn(s).catch(() => undefined);
        }
      });
    });
  }

  registerTopic(topicId: number, topic: string): void {
    this.topics.set(topicId, topic);
    const msg: DispatchControl = { type: 'topic-registered', topicId, topic };
    this.dispatch.control?.postMessage(msg);
    this.index?.control?.postMessage(msg);
  }

  offer(req: DispatchRequest, topicId: number, flags: number): Promise<void> | undefined {
    const p = this.dispatch.producer;
    let wait: Promise<void> | undefined;
    if (!p.tryPush(req.commitLogOffset, req.msgSize, topicId, req.queueId, req.consumeQueueOffset, req.tagsCode, req.storeTimestamp, flags)) {
      wait = p.pushAsync(req.commitLogOffset, req.msgSize, topicId, req.queueId, req.consumeQueueOffset, req.tagsCode, req.storeTimestamp, flags);
    }
    const ix = this.index?.producer;
    if (ix && flags & (DISPATCH_FLAG_HAS_KEYS | DISPATCH_FLAG_HAS_UNIQ_KEY)) {
      this.lastIndexEnd = req.commitLogOffset + req.msgSize;
      if (!ix.tryPush(req.commitLogOffset, req.msgSize, topicId, req.queueId, req.consumeQueueOffset, req.tagsCode, req.storeTimestamp, flags)) {
        const w = ix.pushAsync(req.commitLogOffset, req.msgSize, topicId, req.queueId, req.consumeQueueOffset, req.tagsCode, req.storeTimestamp, flags);
        wait = wait ? Promise.all([wait, w]).then(() => undefined) : w;
      }
    }
    return wait;
  }

  publish(): void {
    this.dispatch.producer.publish();
    this.index?.producer.publish();
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
    return this.index.producer.waitDispatchedPast(Math.min(offset, this.lastIndexEnd - 1), timeoutMs);
  }

  deleteTopic(topic: string, appendedBelow: number): void {
    this.deleted.set(topic, appendedBelow);
    const msg: DispatchControl = { type: 'delete-topic', topic, appendedBelow };
    this.dispatch.control?.postMessage(msg);
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
    };
  }
}
