import { connect, type Socket } from 'node:net';
import { encodeReport, TransferReader, type Transfer } from './ha-protocol.js';

export interface HaSlaveOptions {
  /** The slave's commit log end now (read at connect and before each transfer). */
  maxOffset(): number;
  /**
   * Stores one transfer's bytes at `offset` (`maxOffset()` moves past them); throws or rejects
   * when they cannot be stored (the connection is then dropped and retried).
   */
  append(offset: number, body: Buffer): Promise<unknown> | unknown;
  heartbeatMs: number;
  housekeepingMs: number;
  /** Wait before connecting again after a failure (RocketMQ: 5 s). */
  reconnectMs: number;
  log: { info(m: string): void; warn(m: string): void };
}

/**
 * The slave's HA client (RocketMQ's HAClient): connects to the master's HA address, reports its
 * max offset, appends what the master streams at exactly the offset it names, and reports again.
 * Transfers are stored one at a time, in order; the socket is paused while they wait.
 */
export class HaSlaveClient {
  private readonly o: HaSlaveOptions;
  private address: string | null = null;
  private socket: Socket | null = null;
  private reader = new TransferReader();
  private queue: Transfer[] = [];
  private storing = false;
  private reported = -1;
  private lastReport = 0;
  private lastRead = 0;
  private nextConnect = 0;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(o: HaSlaveOptions) {
    this.o = o;
  }

  get connected(): boolean {
    return this.socket !== null;
  }

  start(): void {
    this.timer = setInterval(() => this.tick(), Math.max(10, Math.min(1000, this.o.heartbeatMs, this.o.reconnectMs)));
    this.timer.unref();
    this.tick();
  }

  /** The master's HA "host:port" (from the NameServer or `haMasterAddress`); a change reconnects. */
  setMasterAddress(addr: string | null): void {
    if (addr === this.address) return;
    this.address = addr;
    this.drop(`the master's HA address is now ${addr ?? 'unknown'}`);
    this.nextConnect = 0;
    this.tick();
  }

  private tick(): void {
    if (this.stopped) return;
    const now = Date.now();
    if (this.socket) {
      if (now - this.lastRead > this.o.housekeepingMs) return this.drop(`nothing from the master for ${this.o.housekeepingMs} ms`);
      if (now - this.lastReport >= this.o.heartbeatMs) this.report(true);
      return;
    }
    // A transfer still being stored would make the first report stale.
    if (this.address === null || now < this.nextConnect || this.storing) return;
    this.nextConnect = now + this.o.reconnectMs;
    const m = /^(.*):(\d+)$/.exec(this.address);
    if (!m) return this.o.log.warn(`HA: master address ${this.address} is not host:port`);
    const s = connect({ host: m[1], port: Number(m[2]) });
    this.socket = s;
    this.lastRead = now;
    s.setNoDelay(true);
    s.on('connect', () => {
      this.o.log.info(`HA: connected to master ${this.address} at offset ${this.o.maxOffset()}`);
      this.report(true);
    });
    s.on('data', (chunk: Buffer) => this.received(s, chunk));
    s.on('error', (e) => this.dropSocket(s, e.message));
    s.on('close', () => this.dropSocket(s, 'connection closed'));
  }

  private received(s: Socket, chunk: Buffer): void {
    if (s !== this.socket) return;
    this.lastRead = Date.now();
    try {
      this.reader.push(chunk, this.queue);
    } catch (e) {
      return this.drop((e as Error).message);
    }
    this.storeNext();
  }

  private storeNext(): void {
    if (this.storing) return;
    const s = this.socket;
    while (s && this.queue.length > 0) {
      const t = this.queue.shift()!;
      if (t.body.length === 0) continue; // heartbeat
      // An empty slave takes any start the master picks; otherwise the stream must go on exactly
      // where the slave's log ends, or the two logs have diverged.
      const max = this.o.maxOffset();
      if (max !== 0 && t.offset !== max) return this.drop(`the master sent offset ${t.offset}, the slave's log ends at ${max}`);
      let stored: Promise<unknown> | unknown;
      try {
        stored = this.o.append(t.offset, t.body);
      } catch (e) {
        return this.drop(`storing offset ${t.offset} failed: ${(e as Error).message}`);
      }
      if (!(stored instanceof Promise)) {
        this.report(false);
        continue;
      }
      this.storing = true;
      s.pause();
      stored.then(
        () => {
          this.storing = false;
          if (s !== this.socket) return;
          this.report(false);
          s.resume();
          this.storeNext();
        },
        (e: unknown) => {
          this.storing = false;
          if (s === this.socket) this.drop(`storing offset ${t.offset} failed: ${(e as Error).message}`);
        },
      );
      return;
    }
  }

  private report(always: boolean): void {
    const max = this.o.maxOffset();
    if (!this.socket || (!always && max === this.reported)) return;
    this.reported = max;
    this.lastReport = Date.now();
    this.socket.write(encodeReport(max));
  }

  private dropSocket(s: Socket, why: string): void {
    if (s === this.socket) this.drop(why);
  }

  private drop(why: string): void {
    const s = this.socket;
    if (!s) return;
    this.socket = null;
    this.queue = [];
    this.reader = new TransferReader();
    this.reported = -1;
    s.destroy();
    if (!this.stopped) this.o.log.warn(`HA: disconnected from master ${this.address}: ${why}`);
  }

  close(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.drop('the slave is stopping');
  }
}
