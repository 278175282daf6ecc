import { connect as netConnect, isIP } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { Connection } from './connection.js';
import { RequestDispatcher, type RequestHandler } from './request-dispatcher.js';
import type { RemotingCommand } from './remoting-command.js';
import { RemotingError, RemotingTimeoutError } from './remoting-error.js';
import { DEFAULT_MAX_FRAME_SIZE } from './frame-codec.js';
import { silentLogger, type Logger } from './logger.js';

export interface RemotingClientOptions {
  maxFrameSize?: number;
  logger?: Logger;
  connectTimeoutMs?: number;
  /** Close connections idle this long (Java clientChannelMaxIdleTimeSeconds = 120 s); 0 disables. */
  idleTimeoutMs?: number;
  /** Runs on every outgoing request just before it is sent (Java's RPCHook.doBeforeRequest), e.g. ACL signing. */
  beforeRequest?: (addr: string, cmd: RemotingCommand) => void;
  /** Speak TLS (useTLS), with these options for tls.connect. */
  tls?: ConnectionOptions;
  /**
   * Called when a connection is made again to an address this client was connected to before:
   * the peer may have restarted and forgotten it (a broker knows its clients from heartbeats).
   */
  onReconnect?: (addr: string) => void;
}

/** "host:port" or "[v6]:port" -> parts; throws BAD_ADDRESS. */
export function parseAddress(addr: string): { host: string; port: number } {
  const colon = addr.lastIndexOf(':');
  const port = Number(addr.slice(colon + 1));
  let host = addr.slice(0, colon);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  if (colon <= 0 || host === '' || !Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new RemotingError('BAD_ADDRESS', `bad address "${addr}", expected host:port`);
  }
  return { host, port };
}

/**
 * Outgoing side: one cached connection per address (re-established on demand after it closes),
 * plus processors for requests the peer sends us (e.g. NOTIFY_CONSUMER_IDS_CHANGED).
 */
export class RemotingClient {
  private readonly opts: RemotingClientOptions;
  private readonly logger: Logger;
  private readonly dispatcher: RequestDispatcher;
  private readonly conns = new Map<string, Connection>();
  private readonly connecting = new Map<string, Promise<Connection>>();
  /** Addresses connected to at least once (onReconnect). */
  private readonly known = new Set<string>();
  private closed = false;

  constructor(opts: RemotingClientOptions = {}) {
    this.opts = opts;
    this.logger = opts.logger ?? silentLogger;
    this.dispatcher = new RequestDispatcher(this.logger);
  }

  registerProcessor(code: number, handler: RequestHandler): void {
    this.dispatcher.register(code, handler);
  }

  async invoke(addr: string, cmd: RemotingCommand, timeoutMs: number): Promise<RemotingCommand> {
    const start = Date.now();
    const conn = await this.getConnection(addr);
    const left = timeoutMs - (Date.now() - start);
    if (left <= 0) throw new RemotingTimeoutError(addr, cmd.opaque, timeoutMs);
    this.opts.beforeRequest?.(addr, cmd);
    return conn.invoke(cmd, left);
  }

  async invokeOneway(addr: string, cmd: RemotingCommand): Promise<void> {
    const conn = await this.getConnection(addr);
    this.opts.beforeRequest?.(addr, cmd);
    conn.invokeOneway(cmd);
  }

  getConnection(addr: string): Promise<Connection> {
    if (this.closed) return Promise.reject(new RemotingError('CLIENT_CLOSED', 'remoting client is closed'));
    const cached = this.conns.get(addr);
    if (cached !== undefined && !cached.closed) return Promise.resolve(cached);
    let pending = this.connecting.get(addr);
    if (pending === undefined) {
      pending = this.connect(addr).finally(() => this.connecting.delete(addr));
      this.connecting.set(addr, pending);
    }
    return pending;
  }

  /** Closes every connection; later calls fail with CLIENT_CLOSED. */
  close(): void {
    this.closed = true;
    for (const conn of this.conns.values()) conn.close('client closed');
    this.conns.clear();
  }

  private async connect(addr: string): Promise<Connection> {
    const { host, port } = parseAddress(addr);
    const timeoutMs = this.opts.connectTimeoutMs ?? 3000;
    const tlsOpts = this.opts.tls;
    // SNI must be a host name, not an address.
    const socket = tlsOpts ? tlsConnect({ ...tlsOpts, host, port, servername: isIP(host) ? undefined : host }) : netConnect({ host, port });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new RemotingError('CONNECT_FAILED', `connect to ${addr} timed out after ${timeoutMs}ms`));
      }, timeoutMs);
      socket.once(tlsOpts ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve();
      });
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(new RemotingError('CONNECT_FAILED', `connect to ${addr} failed: ${err.message}`, { cause: err }));
      });
    });
    if (this.closed) {
      socket.destroy();
      throw new RemotingError('CLIENT_CLOSED', 'remoting client is closed');
    }
    const conn = new Connection(socket, {
      requests: this.dispatcher,
      maxFrameSize: this.opts.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE,
      logger: this.logger,
      idleTimeoutMs: this.opts.idleTimeoutMs ?? 120_000,
    });
    this.conns.set(addr, conn);
    conn.once('close', (reason: string) => {
      if (this.conns.get(addr) === conn) this.conns.delete(addr);
      this.logger.debug('connection to %s closed: %s', addr, reason);
    });
    if (this.known.has(addr)) this.opts.onReconnect?.(addr);
    else this.known.add(addr);
    return conn;
  }
}
