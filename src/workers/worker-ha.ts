import { Worker } from 'node:worker_threads';
import type { HaMasterStart, HaSlaveStart, HaTransport, ReplicaLog } from '../store/ha.js';
import type { StoreLogger } from '../store/store-options.js';
import { HA_CELL_BYTES, HA_F64_READABLE, HA_SEQ, HA_STOP, type HaWorkerData, type HaWorkerToHost, type HostToHaWorker } from './messages.js';

const WORKER_URL = new URL('./ha-worker.js', import.meta.url);
/** Wait before restarting a worker that died, so a failure that repeats does not spin. */
const RESTART_DELAY_MS = 1000;

/**
 * Replication in a worker of its own (src/workers/ha-worker.ts): the slaves' sockets and the
 * commit log reads that feed them stay off the broker's event loop. The readable end goes over a
 * shared cell, at most once per turn; acknowledgements come back as messages, one per report.
 * A worker that dies is started again from where the store stands; its slaves reconnect.
 */
export class WorkerHa implements HaTransport {
  private readonly sab = new SharedArrayBuffer(HA_CELL_BYTES);
  private readonly cells = new Int32Array(this.sab);
  private readonly readableCell = new Float64Array(this.sab);
  private worker: Worker | null = null;
  private stopping = false;
  private masterAddress: string | null = null;
  private log: StoreLogger = { info() {}, warn() {}, error() {} };
  /** The port the master listens on (useful with port 0). */
  port = 0;

  startMaster(o: HaMasterStart, progress: (ackOffset: number, slaves: number) => void, log: StoreLogger): Promise<void> {
    this.log = log;
    this.readableCell[HA_F64_READABLE] = o.readableEnd;
    return new Promise((resolve, reject) => {
      const spawn = (first: boolean): void => {
        const start = { ...o, port: this.port || o.port, readableEnd: this.readableCell[HA_F64_READABLE]! };
        this.spawn({ role: 'master', cells: this.sab, start }, (m) => {
          if (m.type === 'listening') {
            this.port = m.port;
            if (first) resolve();
          } else if (m.type === 'failed') {
            if (first) reject(new Error(`HA server on port ${o.port} (haListenPort, a broker's listenPort + 1): ${m.message}`));
            else log.error(`HA server on port ${o.port} could not start again: ${m.message}`);
          } else if (m.type === 'progress') progress(m.ackOffset, m.slaves);
        }, () => {
          progress(0, 0);
          spawn(false);
        });
      };
      spawn(true);
    });
  }

  readable(end: number, wake: boolean): void {
    this.readableCell[HA_F64_READABLE] = end;
    if (!wake) return;
    Atomics.add(this.cells, HA_SEQ, 1);
    Atomics.notify(this.cells, HA_SEQ);
  }

  /**
   * The slave's worker reads the log's end from the shared cell (written before every reply), so
   * a worker started again, or one whose store failed, never works from a stale end.
   */
  startSlave(o: HaSlaveStart, replica: ReplicaLog, log: StoreLogger): void {
    this.log = log;
    const spawn = (): void => {
      this.readableCell[HA_F64_READABLE] = replica.maxOffset();
      const w = this.spawn({ role: 'slave', cells: this.sab, start: o, masterAddress: this.masterAddress }, (m) => {
        if (m.type === 'append') void this.store(w, replica, m.id, m.offset, Buffer.from(m.body.buffer, m.body.byteOffset, m.body.byteLength));
      }, spawn);
    };
    spawn();
  }

  private async store(w: Worker, replica: ReplicaLog, id: number, offset: number, body: Buffer): Promise<void> {
    let reply: HostToHaWorker;
    try {
      await replica.append(offset, body);
      reply = { type: 'stored', id };
    } catch (e) {
      reply = { type: 'store-failed', id, message: (e as Error).message };
    }
    this.readableCell[HA_F64_READABLE] = replica.maxOffset();
    if (w === this.worker) w.postMessage(reply);
  }

  /** The worker running now (tests end it to see it come back). */
  get currentWorker(): Worker | null {
    return this.worker;
  }

  setMasterAddress(addr: string | null): void {
    this.masterAddress = addr;
    this.worker?.postMessage({ type: 'master-address', addr } satisfies HostToHaWorker);
  }

  /** Starts the worker; `restart` runs after it dies unless we are stopping. */
  private spawn(data: HaWorkerData, onMessage: (m: HaWorkerToHost) => void, restart: () => void): Worker {
    const w = new Worker(WORKER_URL, { workerData: data });
    this.worker = w;
    w.unref();
    w.on('message', (m: HaWorkerToHost) => {
      if (m.type === 'log') this.log[m.level](m.text);
      else onMessage(m);
    });
    w.on('error', (e) => this.log.error(`HA worker failed: ${e.stack ?? e.message}`));
    w.on('exit', (code) => {
      if (this.stopping || w !== this.worker) return;
      this.worker = null;
      this.log.error(`HA worker exited (code ${code}); starting it again in ${RESTART_DELAY_MS} ms`);
      setTimeout(() => {
        if (!this.stopping) restart();
      }, RESTART_DELAY_MS).unref();
    });
    return w;
  }

  async close(): Promise<void> {
    this.stopping = true;
    Atomics.store(this.cells, HA_STOP, 1);
    Atomics.add(this.cells, HA_SEQ, 1);
    Atomics.notify(this.cells, HA_SEQ);
    const w = this.worker;
    this.worker = null;
    if (!w) return;
    const stopped = new Promise<void>((resolve) => {
      w.on('message', (m: HaWorkerToHost) => m.type === 'stopped' && resolve());
      w.once('exit', () => resolve());
    });
    w.postMessage({ type: 'stop' } satisfies HostToHaWorker);
    const timer = setTimeout(() => void w.terminate(), 2000);
    await stopped;
    clearTimeout(timer);
    await w.terminate();
  }
}
