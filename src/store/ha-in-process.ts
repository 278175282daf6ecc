import type { HaMasterStart, HaSlaveStart, HaTransport, ReplicaLog } from './ha.js';
import { HaMasterServer } from './ha-master.js';
import { HaSlaveClient } from './ha-slave.js';
import type { StoreLogger } from './store-options.js';

/**
 * Replication on the store's own thread: for programs embedding the store, and for tests. A
 * broker runs the same server and client in a worker (src/workers' WorkerHa).
 */
export class InProcessHa implements HaTransport {
  private master: HaMasterServer | null = null;
  private slave: HaSlaveClient | null = null;
  private end = 0;
  /** The port the master listens on (useful with port 0). */
  port = 0;

  async startMaster(o: HaMasterStart, progress: (ackOffset: number, slaves: number) => void, log: StoreLogger): Promise<void> {
    this.end = o.readableEnd;
    this.master = new HaMasterServer({ ...o, readableEnd: () => this.end, onProgress: progress, log });
    this.port = await this.master.start();
  }

  readable(end: number, wake: boolean): void {
    this.end = end;
    if (wake) this.master?.wake();
  }

  startSlave(o: HaSlaveStart, replica: ReplicaLog, log: StoreLogger): void {
    this.slave = new HaSlaveClient({ ...o, maxOffset: () => replica.maxOffset(), append: (off, body) => replica.append(off, body), log });
    this.slave.start();
  }

  setMasterAddress(addr: string | null): void {
    this.slave?.setMasterAddress(addr);
  }

  async close(): Promise<void> {
    this.slave?.close();
    await this.master?.close();
  }
}
