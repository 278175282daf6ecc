import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { FrameDecoder, DEFAULT_MAX_FRAME_SIZE } from './frame-codec.js';
import { RemotingCommand } from './remoting-command.js';
import { RemotingError, RemotingTimeoutError } from './remoting-error.js';
import type { Logger } from './logger.js';
import { PendingCalls } from './pending-calls.js';
import { silentLogger } from './logger.js';

export type { RequestHandler } from './request-dispatcher.js';

/** Where a connection hands the requests it receives (a RequestDispatcher). */
export interface RequestSink {
  dispatch(req: RemotingCommand, conn: Connection): void;
}

export interface ConnectionOptions {
  requests: RequestSink;
  maxFrameSize?: number;
  logger?: Logger;
  /** Close after this long without reads or writes (Java: 120 s); 0 disables. */
  idleTimeoutMs?: number;
  /** The TCP socket under `socket` when that is a TLS stream: where the peer's address is read. */
  peer?: Socket;
  /**
   * Stop reading requests while more than this many bytes of replies wait to be sent, until they
   * are (servers; 0 = never). A peer that sends requests without reading its replies would
   * otherwise make us buffer replies without bound. Never on both ends of one connection: two
   * peers waiting for each other to read would wait forever.
   */
  pauseReadingAboveBytes?: number;
}

/**
 * Pending calls are timed out by one sweep per connection (as Java's client scans its response
 * table), not one timer per call: at tens of thousands of requests a second, a setTimeout and a
 * clearTimeout each were a visible share of CPU and garbage. A call times out at most one sweep
 * late.
 */
const SWEEP_MS = 25;

/** Bodies at least this large are written as a separate buffer instead of being copied into the frame. */
const SEPARATE_BODY_BYTES = 16 * 1024;
/** How long a locally closed connection may take to flush before it is destroyed. */
const CLOSE_FLUSH_GRACE_MS = 3000;

let nextConnectionId = 1;

function formatAddress(host: string | undefined, port: number | undefined): string {
  const h = host === undefined ? 'unknown' : host.startsWith('::ffff:') ? host.slice(7) : host;
  return `${h}:${port ?? 0}`;
}

/**
 * One remoting socket, used by both sides. Requests it sends are matched with responses by
 * opaque; requests it receives go to its RequestSink. Writes made in one tick leave in one
 * writev (cork until the next tick). Bytes that are not a valid frame close it. Emits 'close'
 * (reason: string) once.
 */
export class Connection extends EventEmitter {
  readonly id: number;
  readonly remoteAddress: string;
  readonly localAddress: string;
  private readonly socket: Socket;
  private readonly decoder: FrameDecoder;
  private readonly requests: RequestSink;
  private readonly logger: Logger;
  private readonly pending = new PendingCalls();
  private sweeper: NodeJS.Timeout | null = null;
  private corked = false;
  private closing = false;
  private closeReason = '';
  private readonly pauseAbove: number;
  private readingPaused = false;

  constructor(socket: Socket, opts: ConnectionOptions) {
    super();
    this.id = nextConnectionId++;
    this.socket = socket;
    const tcp = opts.peer ?? socket;
    this.remoteAddress = formatAddress(tcp.remoteAddress, tcp.remotePort);
    this.localAddress = formatAddress(tcp.localAddress, tcp.localPort);
    this.decoder = new FrameDecoder(opts.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE);
    this.requests = opts.requests;
    this.logger = opts.logger ?? silentLogger;
    this.pauseAbove = opts.pauseReadingAboveBytes ?? 0;
    socket.setNoDelay(true);
    const idle = opts.idleTimeoutMs ?? 0;
    if (idle > 0) {
      socket.setTimeout(idle);
      socket.on('timeout', () => this.close(`idle for ${idle}ms`));
    }
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => {
      if (!this.closing) this.closeReason = `socket error: ${err.message}`;
      this.logger.debug('connection %s: %s', this.remoteAddress, err.message);
    });
    socket.on('end', () => {
      // The peer sent FIN: no response can arrive any more, and the cached connection must not be reused.
      if (this.closing) return;
      this.closing = true;
      this.closeReason = 'closed by peer';
      this.rejectPending();
    });
    socket.on('close', () => this.onSocketClose());
  }

  get closed(): boolean {
    return this.closing || this.socket.destroyed;
  }

  /** Bytes queued in the socket and not yet written: callers may use it for back-pressure. */
  get writableLength(): number {
    return this.socket.writableLength;
  }

  invoke(cmd: RemotingCommand, timeoutMs: number): Promise<RemotingCommand> {
    return new Promise<RemotingCommand>((resolve, reject) => {
      if (this.closed) {
        reject(new RemotingError('CONNECTION_CLOSED', `connection to ${this.remoteAddress} is closed`));
        return;
      }
      const opaque = cmd.opaque;
      if (this.pending.has(opaque)) {
        reject(new RemotingError('DUPLICATE_OPAQUE', `opaque ${opaque} already awaits a response on ${this.remoteAddress}`));
        return;
      }
      this.pending.add({ opaque, resolve, reject, deadline: performance.now() + timeoutMs, timeoutMs });
      if (this.sweeper === null) this.startSweeper();
      try {
        this.write(cmd);
      } catch (err) {
        this.pending.take(opaque);
        reject(err as Error);
      }
    });
  }

  private startSweeper(): void {
    this.sweeper = setInterval(() => {
      if (this.pending.size === 0) {
        clearInterval(this.sweeper!);
        this.sweeper = null;
        return;
      }
      for (const call of this.pending.takeExpired(performance.now())) {
        call.reject(new RemotingTimeoutError(this.remoteAddress, call.opaque, call.timeoutMs));
      }
    }, SWEEP_MS);
    this.sweeper.unref();
  }

  invokeOneway(cmd: RemotingCommand): void {
    cmd.markOneway();
    this.send(cmd);
  }

  /** Writes a command as is (a response, or a request nobody waits for). Dropped if closed. */
  send(cmd: RemotingCommand): void {
    if (this.closed) {
      this.logger.debug('connection %s closed, dropping %s', this.remoteAddress, cmd);
      return;
    }
    this.write(cmd);
  }

  /** Flushes what was written, then closes. Pending invokes are rejected at once. */
  close(reason = 'closed locally'): void {
    if (this.closing) return;
    this.closing = true;
    this.closeReason = reason;
    this.uncork();
    this.rejectPending();
    const socket = this.socket;
    if (socket.destroyed) return;
    const timer = setTimeout(() => socket.destroy(), CLOSE_FLUSH_GRACE_MS);
    timer.unref();
    socket.end(() => {
      clearTimeout(timer);
      socket.destroy();
    });
  }

  /** The peer's byte stream can no longer be trusted: stop reading, flush replies already made, close. */
  private abort(err: Error): void {
    if (this.closing) return;
    this.logger.warn('closing connection %s: %s', this.remoteAddress, err.message);
    this.socket.pause();
    this.socket.removeAllListeners('data');
    this.close(err.message);
  }

  private write(cmd: RemotingCommand): void {
    const body = cmd.body;
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(() => this.uncork());
    }
    if (body !== undefined && body.length >= SEPARATE_BODY_BYTES) {
      for (const part of cmd.encodeParts()) this.socket.write(part);
    } else {
      this.socket.write(cmd.encode());
    }
    if (this.pauseAbove > 0 && !this.readingPaused && this.socket.writableLength > this.pauseAbove) this.pauseReading();
  }

  /** Until what is queued is sent ('drain': a write past the high water mark returned false). */
  private pauseReading(): void {
    this.readingPaused = true;
    this.socket.pause();
    this.logger.debug('connection %s: %d bytes of replies unsent, not reading requests until they are', this.remoteAddress, this.socket.writableLength);
    this.socket.once('drain', () => {
      this.readingPaused = false;
      if (!this.closing) this.socket.resume();
    });
  }

  private uncork(): void {
    if (!this.corked) return;
    this.corked = false;
    this.socket.uncork();
  }

  private onData(chunk: Buffer): void {
    let frames: Buffer[];
    try {
      frames = this.decoder.push(chunk);
    } catch (err) {
      this.abort(err as Error);
      return;
    }
    for (const frame of frames) {
      if (this.closing) return;
      let cmd: RemotingCommand;
      try {
        cmd = RemotingCommand.decode(frame);
      } catch (err) {
        this.abort(err as Error);
        return;
      }
      if (cmd.isResponse) this.onResponse(cmd);
      else this.requests.dispatch(cmd, this);
    }
    const failure = this.decoder.error;
    if (failure !== undefined) this.abort(failure);
  }

  private onResponse(res: RemotingCommand): void {
    const call = this.pending.take(res.opaque);
    if (call === undefined) {
      this.logger.debug('connection %s: response with unknown opaque %d dropped (%s)', this.remoteAddress, res.opaque, res);
      return;
    }
    call.resolve(res);
  }

  private rejectPending(): void {
    if (this.pending.size === 0) return;
    const calls = this.pending.takeAll();
    const reason = this.closeReason || 'connection closed';
    for (const call of calls) {
      call.reject(new RemotingError('CONNECTION_CLOSED', `connection to ${this.remoteAddress} closed: ${reason}`));
    }
  }

  private onSocketClose(): void {
    const reason = this.closeReason || 'closed by peer';
    this.closing = true;
    this.closeReason = reason;
    this.rejectPending();
    this.emit('close', reason);
  }
}
