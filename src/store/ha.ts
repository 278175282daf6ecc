import type { StoreConfig } from './config.js';
import type { CommitLog } from './commit-log.js';
import { commitLogDir } from './file-names.js';
import type { StoreLogger } from './store-options.js';
import type { ReplicaAppender } from './replica-append.js';
import type { HaServerSettings } from './ha-master.js';

/** What a master's HA server needs to start. */
export interface HaMasterStart extends HaServerSettings {
  /** Where readable commit log bytes end at start; `readable` moves it on. */
  readableEnd: number;
}

/** What a slave's HA client needs to start. */
export interface HaSlaveStart {
  heartbeatMs: number;
  housekeepingMs: number;
  reconnectMs: number;
}

/**
 * Where replication's sockets live: in this thread (InProcessHa) or in a worker of their own
 * (src/workers' WorkerHa, what a broker uses). The store keeps the commit log, the offsets and
 * the waiting sends; the transport moves bytes.
 */
export interface HaTransport {
  /** Master: serve slaves; `progress` reports the highest acknowledged offset and the slave count. */
  startMaster(o: HaMasterStart, progress: (ackOffset: number, slaves: number) => void, log: StoreLogger): Promise<void>;
  /**
   * Master: readable commit log bytes now end at `end` (called at most once per turn). `wake`:
   * slaves are connected and should hear of it now; without them the value is only kept, since
   * waking a thread on every turn for nobody costs a context switch each time.
   */
  readable(end: number, wake: boolean): void;
  /** Slave: replicate from the master into `log` (whose end `maxOffset` tells). */
  startSlave(o: HaSlaveStart, replica: ReplicaLog, log: StoreLogger): void;
  /** Slave: the master's HA "host:port", learned from the NameServer (or configured). */
  setMasterAddress(addr: string | null): void;
  close(): Promise<void>;
}

/** A slave's commit log as replication sees it. */
export interface ReplicaLog {
  maxOffset(): number;
  /** Stores a transfer at `offset`, which must be where the log ends; may wait for dispatch room. */
  append(offset: number, body: Buffer): Promise<unknown> | unknown;
}

export type ReplicaStatus = 'PUT_OK' | 'SLAVE_NOT_AVAILABLE' | 'FLUSH_SLAVE_TIMEOUT';

interface Waiter {
  end: number;
  deadline: number;
  resolve: (s: ReplicaStatus) => void;
}

/**
 * The store's side of replication (RocketMQ's HAService and GroupTransferService). On a master it
 * tells the transport how far the commit log is readable, once per turn of the event loop, and
 * holds SYNC_MASTER sends until a slave has acknowledged their bytes. On a slave it hands what the
 * master streams to the replica appender.
 */
export class HaService {
  ackOffset = 0;
  slaves = 0;
  private waiters: Waiter[] = [];
  private sweeper: NodeJS.Timeout | null = null;
  private scheduled = false;
  private readonly publish = (): void => {
    this.scheduled = false;
    this.transport.readable(this.commitLog.readableOffset, this.slaves > 0);
  };

  constructor(
    private readonly cfg: StoreConfig,
    private readonly transport: HaTransport,
    private readonly commitLog: CommitLog,
    private readonly appender: ReplicaAppender,
    private readonly log: StoreLogger,
    private readonly host?: string,
  ) {}

  get isSlave(): boolean {
    return this.cfg.brokerRole === 'SLAVE';
  }

  async start(): Promise<void> {
    const c = this.cfg;
    const timing = { heartbeatMs: c.haSendHeartbeatInterval, housekeepingMs: c.haHousekeepingInterval };
    if (this.isSlave) {
      const replica: ReplicaLog = { maxOffset: () => this.commitLog.maxOffset, append: (off, body) => this.appender.append(off, body) };
      this.transport.startSlave({ ...timing, reconnectMs: Math.min(5000, c.haSendHeartbeatInterval) }, replica, this.log);
      // A configured address wins over the NameServer's (RocketMQ: haMasterAddress, 6 chars or more).
      if (c.haMasterAddress.length >= 6) this.transport.setMasterAddress(c.haMasterAddress);
      return;
    }
    const start: HaMasterStart = {
      ...timing,
      port: c.haListenPort,
      host: this.host,
      commitLogDir: commitLogDir(c),
      fileSize: c.mappedFileSizeCommitLog,
      transferBatchSize: c.haTransferBatchSize,
      readableEnd: this.commitLog.readableOffset,
    };
    await this.transport.startMaster(start, (ack, slaves) => this.progress(ack, slaves), this.log);
    this.sweeper = setInterval(() => this.expire(Date.now()), Math.max(10, Math.min(1000, c.slaveTimeout / 10)));
    this.sweeper.unref();
  }

  /** Commit log bytes were written (appended, or committed from staging): slaves may read them. */
  written(): void {
    // A slave publishes nothing (its transport's shared cell holds the slave's own end).
    if (this.scheduled || this.isSlave) return;
    this.scheduled = true;
    setImmediate(this.publish);
  }

  /** The NameServer named the master's HA address (REGISTER_BROKER's answer to a slave). */
  updateMasterAddress(addr: string): void {
    if (!this.isSlave || this.cfg.haMasterAddress.length >= 6) return;
    this.transport.setMasterAddress(addr || null);
  }

  /** RocketMQ's isSlaveOK: a slave is connected and not too far behind `end`. */
  isSlaveOK(end: number): boolean {
    return this.slaves > 0 && end - this.ackOffset < this.cfg.haSlaveFallbehindMax;
  }

  /** A SYNC_MASTER send's replication: PUT_OK once a slave has every byte before `end`. */
  waitReplica(end: number): Promise<ReplicaStatus> {
    if (this.isSlave || !this.isSlaveOK(end)) return Promise.resolve('SLAVE_NOT_AVAILABLE');
    if (this.ackOffset >= end) return Promise.resolve('PUT_OK');
    this.written();
    return new Promise((resolve) => this.waiters.push({ end, deadline: Date.now() + this.cfg.slaveTimeout, resolve }));
  }

  /** For GET_BROKER_RUNTIME_INFO: a master's slaves and how far behind the newest one is. */
  runtimeInfo(): Record<string, string> {
    if (this.isSlave) return {};
    return { haSlaveCount: String(this.slaves), haSlaveFallBehindBytes: String(this.slaves > 0 ? Math.max(0, this.commitLog.maxOffset - this.ackOffset) : 0) };
  }

  private progress(ackOffset: number, slaves: number): void {
    this.ackOffset = Math.max(this.ackOffset, ackOffset);
    // A slave arrived: it should hear of the current end now, not at the next append.
    if (slaves > this.slaves) this.written();
    this.slaves = slaves;
    if (this.waiters.length > 0) this.settle((w) => (w.end <= this.ackOffset ? 'PUT_OK' : null));
  }

  private expire(now: number): void {
    if (this.waiters.length > 0) this.settle((w) => (w.deadline <= now ? 'FLUSH_SLAVE_TIMEOUT' : null));
  }

  private settle(outcome: (w: Waiter) => ReplicaStatus | null): void {
    let kept = 0;
    for (const w of this.waiters) {
      const s = outcome(w);
      if (s) w.resolve(s);
      else this.waiters[kept++] = w;
    }
    this.waiters.length = kept;
  }

  async close(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    this.settle(() => 'FLUSH_SLAVE_TIMEOUT');
    await this.transport.close();
  }
}
