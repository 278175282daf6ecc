import { EventEmitter } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { Connection } from './connection.js';
import { RequestDispatcher, type RequestHandler } from './request-dispatcher.js';
import { DEFAULT_MAX_FRAME_SIZE } from './frame-codec.js';
import { acceptTls, type TlsServer } from './tls-config.js';
import { silentLogger, type Logger } from './logger.js';

export type { RequestHandler } from './request-dispatcher.js';

/**
 * NettyServerConfig tuning keys (threads, buffers, selectors) that mean nothing on Node: config
 * readers accept them silently instead of warning about unknown keys.
 */
export const NETTY_SERVER_CONFIG_KEYS: ReadonlySet<string> = new Set([
  'serverWorkerThreads',
  'serverCallbackExecutorThreads',
  'serverSelectorThreads',
  'serverOnewaySemaphoreValue',
  'serverAsyncSemaphoreValue',
  'serverSocketSndBufSize',
  'serverSocketRcvBufSize',
  'serverPooledByteBufAllocatorEnable',
  'useEpollNativeSelector',
]);

export interface RemotingServerOptions {
  port: number;
  /** Interface to bind; all interfaces when absent (as RocketMQ). */
  host?: string;
  maxFrameSize?: number;
  name?: string;
  logger?: Logger;
  /** Close connections idle this long (Java serverChannelMaxIdleTimeSeconds = 120 s); 0 disables. */
  idleTimeoutMs?: number;
  /** How long close() waits for in-flight handlers before closing sockets. */
  closeTimeoutMs?: number;
  /** TLS (tlsConfigFile): TLS and plain clients both (permissive), or TLS only (enforcing). */
  tls?: TlsServer | null;
  /** A connection stops reading requests while more than this many bytes of its replies are unsent (Connection). */
  pauseReadingAboveBytes?: number;
}

/**
 * Sixty-four pull replies of the largest size a pull sends from memory (maxTransferBytesOnMessageInMemory,
 * 256 KiB) fit many times over; a client reading its replies never comes near it.
 */
const PAUSE_READING_ABOVE_BYTES = 16 << 20;

/**
 * A remoting listener: one Connection per accepted socket, requests routed by code to the
 * registered processors. Emits 'connect'(conn) and 'disconnect'(conn, reason).
 */
export class RemotingServer extends EventEmitter {
  private readonly opts: RemotingServerOptions;
  private readonly logger: Logger;
  private readonly dispatcher: RequestDispatcher;
  private readonly server: Server;
  private readonly conns = new Set<Connection>();
  private closing: Promise<void> | undefined;

  constructor(opts: RemotingServerOptions) {
    super();
    this.opts = opts;
    this.logger = opts.logger ?? silentLogger;
    this.dispatcher = new RequestDispatcher(this.logger);
    this.server = createServer((socket) => this.accept(socket));
    // Errors of listen() itself reject its promise; the caller reports them.
    this.server.on('error', (err) => {
      if (this.server.listening) this.logger.error('%s server error: %s', this.name, err.message);
    });
  }

  private get idleTimeoutMs(): number {
    return this.opts.idleTimeoutMs ?? 120_000;
  }

  get name(): string {
    return this.opts.name ?? 'remoting';
  }

  get connections(): ReadonlySet<Connection> {
    return this.conns;
  }

  /** The bound port, once listening. */
  get port(): number {
    const addr = this.server.address();
    return addr !== null && typeof addr === 'object' ? addr.port : 0;
  }

  registerProcessor(code: number, handler: RequestHandler): void {
    this.dispatcher.register(code, handler);
  }

  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.server.once('error', onError);
      this.server.listen({ port: this.opts.port, host: this.opts.host }, () => {
        this.server.off('error', onError);
        const tls = this.opts.tls ? ` (TLS ${this.opts.tls.mode})` : '';
        this.logger.info('%s listening on %s:%d%s', this.name, this.opts.host ?? '0.0.0.0', this.port, tls);
        resolve(this.port);
      });
    });
  }

  /** Stops accepting, lets in-flight handlers answer (bounded), then closes every connection. */
  close(): Promise<void> {
    this.closing ??= this.doClose();
    return this.closing;
  }

  private async doClose(): Promise<void> {
    const stopped = new Promise<void>((resolve) => {
      if (!this.server.listening) resolve();
      else this.server.close(() => resolve());
    });
    await this.dispatcher.waitIdle(this.opts.closeTimeoutMs ?? 5000);
    const closedAll = [...this.conns].map(
      (conn) => new Promise<void>((resolve) => {
        conn.once('close', () => resolve());
        conn.close(`${this.name} shutting down`);
      }),
    );
    await Promise.all(closedAll);
    await stopped;
  }

  private accept(raw: Socket): void {
    if (this.closing !== undefined) {
      raw.destroy();
      return;
    }
    const t = this.opts.tls;
    if (!t) return this.serve(raw, raw);
    acceptTls(raw, t, this.idleTimeoutMs, (s, peer) => this.serve(s, peer), (err) => this.logger.debug('%s: connection from %s failed before its first bytes: %s', this.name, raw.remoteAddress, err.message));
  }

  private serve(socket: Socket, peer: Socket): void {
    if (this.closing !== undefined) {
      socket.destroy();
      return;
    }
    // A TLS stream built over the socket does not always hear of the socket's end.
    if (peer !== socket) peer.once('close', () => socket.destroy());
    const conn = new Connection(socket, {
      peer,
      requests: this.dispatcher,
      maxFrameSize: this.opts.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE,
      logger: this.logger,
      idleTimeoutMs: this.idleTimeoutMs,
      pauseReadingAboveBytes: this.opts.pauseReadingAboveBytes ?? PAUSE_READING_ABOVE_BYTES,
    });
    this.conns.add(conn);
    this.logger.debug('%s: connection %d from %s', this.name, conn.id, conn.remoteAddress);
    conn.once('close', (reason: string) => {
      // A TLS stream built over the socket does not always take the socket down with it.
      if (peer !== socket) peer.destroy();
      this.conns.delete(conn);
      this.logger.debug('%s: connection %d from %s closed: %s', this.name, conn.id, conn.remoteAddress, reason);
      this.emit('disconnect', conn, reason);
    });
    this.emit('connect', conn);
  }
}
