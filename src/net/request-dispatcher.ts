import type { Connection } from './connection.js';
import { RemotingCommand, RPC_RESPONSE_FLAG } from './remoting-command.js';
import { ResponseCode } from './codes.js';
import type { Logger } from './logger.js';

export type RequestHandler = (
  req: RemotingCommand,
  conn: Connection,
) => Promise<RemotingCommand | null | void> | RemotingCommand | null | void;

/**
 * Routes incoming requests to handlers by code and turns the outcome into the reply, as
 * NettyRemotingAbstract.processRequestCommand does: the handler's return value is the response
 * (none for oneway requests, none when it returns null/undefined: it will answer later itself),
 * a throw becomes SYSTEM_ERROR with the error text as remark, an unknown code becomes
 * REQUEST_CODE_NOT_SUPPORTED. Shared by the server and the client (server-to-client requests).
 */
export class RequestDispatcher {
  private readonly handlers = new Map<number, RequestHandler>();
  private readonly logger: Logger;
  private inFlight = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(logger: Logger) {
    this.logger = logger;
  }

  register(code: number, handler: RequestHandler): void {
    this.handlers.set(code, handler);
  }

  /** Number of asynchronous handlers that have not settled yet. */
  get pending(): number {
    return this.inFlight;
  }

  dispatch(req: RemotingCommand, conn: Connection): void {
    const handler = this.handlers.get(req.code);
    if (handler === undefined) {
      this.logger.debug('%s: request code %d not supported', conn.remoteAddress, req.code);
      if (!req.isOneway) {
        conn.send(RemotingCommand.createResponse(req, ResponseCode.REQUEST_CODE_NOT_SUPPORTED, ` request type ${req.code} not supported`));
      }
      return;
    }
    let result: ReturnType<RequestHandler>;
    try {
      result = handler(req, conn);
    } catch (err) {
      this.replyError(req, conn, err);
      return;
    }
    if (result !== null && typeof result === 'object' && typeof (result as Promise<unknown>).then === 'function') {
      this.inFlight++;
      (result as Promise<RemotingCommand | null | void>)
        .then(
          (res) => this.reply(req, conn, res),
          (err: unknown) => this.replyError(req, conn, err),
        )
        .finally(() => this.settled());
    } else {
      this.reply(req, conn, result as RemotingCommand | null | void);
    }
  }

  /** Resolves when no asynchronous handler is running, or after `timeoutMs`. */
  waitIdle(timeoutMs: number): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.idleWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private settled(): void {
    if (--this.inFlight > 0 || this.idleWaiters.length === 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  private reply(req: RemotingCommand, conn: Connection, res: RemotingCommand | null | void): void {
    if (req.isOneway || res === null || res === undefined) return;
    res.opaque = req.opaque;
    res.flag |= RPC_RESPONSE_FLAG;
    conn.send(res);
  }

  private replyError(req: RemotingCommand, conn: Connection, err: unknown): void {
    const text = err instanceof Error ? err.message : String(err);
    this.logger.warn('%s: request %d failed: %s', conn.remoteAddress, req.code, text);
    if (err instanceof Error && err.stack) this.logger.debug('%s', err.stack);
    if (!req.isOneway) conn.send(RemotingCommand.createResponse(req, ResponseCode.SYSTEM_ERROR, text));
  }
}
