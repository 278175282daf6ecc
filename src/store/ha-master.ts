import { createServer, type Server, type Socket } from 'node:net';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { offsetToFileName } from './file-names.js';
import { encodeTransferHeader, HA_HEADER_SIZE, ReportReader } from './ha-protocol.js';

/** How a master's HA server listens and paces (the store's config, resolved). */
export interface HaServerSettings {
  port: number;
  /** Interface to listen on; all when absent (as RocketMQ). */
  host?: string;
  commitLogDir: string;
  fileSize: number;
  transferBatchSize: number;
  heartbeatMs: number;
  housekeepingMs: number;
}

export interface HaMasterOptions extends HaServerSettings {
  /** Where the commit log's readable bytes end now (they are read from the segment files). */
  readableEnd(): number;
  /** The highest offset any slave has acknowledged, and how many slaves are connected. */
  onProgress(ackOffset: number, slaves: number): void;
  log: { info(m: string): void; warn(m: string): void };
}

/**
 * The master's HA server (RocketMQ's AcceptSocketService with an HAConnection per slave). It reads
 * the commit log from its segment files, not through the writer's mappings, so it runs in any
 * thread: the broker gives it a worker of its own. Not thread-safe; one thread drives it.
 */
export class HaMasterServer {
  private readonly o: HaMasterOptions;
  private server: Server | null = null;
  private readonly conns = new Set<SlaveConnection>();
  private timer: NodeJS.Timeout | null = null;
  /** RocketMQ's push2SlaveMaxOffset: only grows. */
  ackOffset = 0;

  constructor(o: HaMasterOptions) {
    this.o = o;
  }

  get slaves(): number {
    return this.conns.size;
  }

  /** Listens; resolves with the port bound. */
  start(): Promise<number> {
    const server = createServer((s) => this.accept(s));
    this.server = server;
    this.timer = setInterval(() => {
      const now = Date.now();
      for (const c of this.conns) c.tick(now);
    }, Math.max(10, Math.min(1000, this.o.heartbeatMs, this.o.housekeepingMs)));
    this.timer.unref();
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.o.port, this.o.host, () => {
        server.off('error', reject);
        server.on('error', (e) => this.o.log.warn(`HA server: ${e.message}`));
        const a = server.address();
        const port = typeof a === 'object' && a ? a.port : this.o.port;
        this.o.log.info(`HA: serving slaves on ${this.o.host ?? '0.0.0.0'}:${port}`);
        resolve(port);
      });
    });
  }

  /** More commit log is readable: connections waiting for data send it. */
  wake(): void {
    for (const c of this.conns) c.pump();
  }

  private accept(s: Socket): void {
    s.setNoDelay(true);
    const c = new SlaveConnection(this.o, s, (off) => this.acked(off), () => this.dropped(c));
    this.conns.add(c);
    this.o.log.info(`HA: slave ${c.name} connected (${this.conns.size} now)`);
    this.o.onProgress(this.ackOffset, this.conns.size);
  }

  private acked(offset: number): void {
    if (offset <= this.ackOffset) return;
    this.ackOffset = offset;
    this.o.onProgress(this.ackOffset, this.conns.size);
  }

  private dropped(c: SlaveConnection): void {
    if (!this.conns.delete(c)) return;
    this.o.onProgress(this.ackOffset, this.conns.size);
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    for (const c of this.conns) c.close('the master is stopping');
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((r) => server.close(() => r()));
  }
}

/** One slave: its reports in, the commit log out from where it asked. */
class SlaveConnection {
  readonly name: string;
  private readonly reports = new ReportReader();
  /** The slave's first report (where to start); -1 until it arrives. */
  private requested = -1;
  private next = -1;
  private lastRead = Date.now();
  private lastWrite = 0;
  private pumping = false;
  private closed = false;
  private file: { from: number; handle: FileHandle } | null = null;

  constructor(
    private readonly o: HaMasterOptions,
    private readonly s: Socket,
    private readonly onAck: (offset: number) => void,
    private readonly onClose: () => void,
  ) {
    this.name = `${(s.remoteAddress ?? '?').replace(/^::ffff:/, '')}:${s.remotePort}`;
    s.on('data', (chunk: Buffer) => this.read(chunk));
    s.on('error', (e) => this.close(e.message));
    s.on('close', () => this.close('connection closed'));
  }

  private read(chunk: Buffer): void {
    const offset = this.reports.push(chunk);
    this.lastRead = Date.now();
    if (offset === -1) return;
    if (Number.isNaN(offset)) return this.close('the slave reported an offset that is not one');
    const max = this.o.readableEnd();
    if (offset > max) return this.close(`the slave reported offset ${offset}, past the master's ${max}`);
    this.onAck(offset);
    if (this.requested === -1) {
      this.requested = offset;
      this.pump();
    }
  }

  tick(now: number): void {
    if (now - this.lastRead > this.o.housekeepingMs) return this.close(`no report for ${this.o.housekeepingMs} ms`);
    this.pump();
  }

  /** Sends what is readable past `next`, a heartbeat when idle; one run at a time. */
  pump(): void {
    if (this.pumping || this.closed || this.requested === -1) return;
    this.pumping = true;
    this.transfer()
      .catch((e: unknown) =>
        this.close(
          (e as NodeJS.ErrnoException).code === 'ENOENT'
            ? `it asks for offset ${this.next}, which this master no longer has (expired and deleted): the slave cannot catch up; empty its store to let it start over`
            : `reading the commit log failed: ${(e as Error).message}`,
        ),
      )
      .finally(() => (this.pumping = false));
  }

  private async transfer(): Promise<void> {
    const { fileSize } = this.o;
    if (this.next === -1) {
      // A slave with nothing starts at the master's last segment, as RocketMQ's does.
      const end = this.o.readableEnd();
      this.next = this.requested === 0 ? end - (end % fileSize) : this.requested;
      this.o.log.info(`HA: slave ${this.name} starts at offset ${this.next}`);
    }
    while (!this.closed) {
      const end = this.o.readableEnd();
      if (this.next >= end) {
        if (Date.now() - this.lastWrite >= this.o.heartbeatMs) this.send(Buffer.alloc(HA_HEADER_SIZE), 0);
        return;
      }
      const fileFrom = this.next - (this.next % fileSize);
      const len = Math.min(this.o.transferBatchSize, end - this.next, fileFrom + fileSize - this.next);
      const frame = Buffer.allocUnsafe(HA_HEADER_SIZE + len);
      await this.readInto(frame, fileFrom, this.next - fileFrom, len);
      if (this.closed) return;
      if (!this.send(frame, len)) await new Promise<void>((r) => this.s.once('drain', r).once('close', r));
    }
  }

  private send(frame: Buffer, len: number): boolean {
    encodeTransferHeader(frame, 0, this.next, len);
    this.next += len;
    this.lastWrite = Date.now();
    return this.s.write(frame);
  }

  private async readInto(frame: Buffer, fileFrom: number, pos: number, len: number): Promise<void> {
    if (this.file?.from !== fileFrom) {
      await this.file?.handle.close();
      this.file = null;
      const handle = await open(join(this.o.commitLogDir, offsetToFileName(fileFrom)), 'r');
      if (this.closed) return void (await handle.close());
      this.file = { from: fileFrom, handle };
    }
    // A local: close() may let go of this.file while a read is in flight.
    const handle = this.file.handle;
    let done = 0;
    while (done < len) {
      const { bytesRead } = await handle.read(frame, HA_HEADER_SIZE + done, len - done, pos + done);
      if (bytesRead === 0) throw new Error(`segment ${offsetToFileName(fileFrom)} ends before ${pos + len}`);
      done += bytesRead;
    }
  }

  close(why: string): void {
    if (this.closed) return;
    this.closed = true;
    this.o.log.warn(`HA: slave ${this.name} disconnected: ${why}`);
    this.s.destroy();
    void this.file?.handle.close().catch(() => {});
    this.file = null;
    this.onClose();
  }
}
