import { RESPONSE_CODES, responseCodeName } from '../codes.js';
import type { RemotingCommand } from '../remoting-command.js';

/**
 * Errors of the client library. `code` is a stable name to switch on; `responseCode` carries the
 * broker's or NameServer's RocketMQ response code when the error is an answer from the server
 * (MQBrokerException / MQClientException with a response code in Java).
 */
export type ClientErrorCode =
  | 'BROKER_ERROR'
  | 'NO_ROUTE'
  | 'NO_BROKER'
  | 'SEND_FAILED'
  | 'TIMEOUT'
  | 'NOT_STARTED'
  | 'SHUT_DOWN'
  | 'ILLEGAL_ARGUMENT'
  | 'SELECT_QUEUE_FAILED'
  | 'BAD_RESPONSE'
  | 'NO_NAMESRV';

export class MQClientError extends Error {
  readonly code: ClientErrorCode;
  /** RocketMQ response code when the server answered with an error. */
  readonly responseCode?: number;
  /** Address of the server that answered, when known. */
  readonly addr?: string;

  constructor(code: ClientErrorCode, message: string, options?: { cause?: unknown; responseCode?: number; addr?: string }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'MQClientError';
    this.code = code;
    if (options?.responseCode !== undefined) this.responseCode = options.responseCode;
    if (options?.addr !== undefined) this.addr = options.addr;
  }

  /** True when sending the same request elsewhere (another broker) may succeed. */
  get retriable(): boolean {
    if (this.responseCode === undefined) return this.code !== 'ILLEGAL_ARGUMENT' && this.code !== 'SHUT_DOWN' && this.code !== 'SELECT_QUEUE_FAILED';
    return RESPONSE_CODES.get(this.responseCode)?.retriable ?? false;
  }
}

/** The error for a response whose code is not what the caller accepts. */
export function brokerError(res: RemotingCommand, addr: string, what: string): MQClientError {
  return new MQClientError(
    'BROKER_ERROR',
    `${what} failed at ${addr}: ${responseCodeName(res.code)} (${res.code})${res.remark ? ` ${res.remark}` : ''}`,
    { responseCode: res.code, addr },
  );
}

export function illegalArgument(message: string): MQClientError {
  return new MQClientError('ILLEGAL_ARGUMENT', message);
}

/**
 * Text of anything thrown. User code (listeners, callbacks, selectors) may throw or reject with a
 * non-Error, even undefined; reading `.message` off that inside a catch throws again, and in a
 * fire-and-forget chain that second throw is an unhandled rejection that ends the process.
 */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  try {
    return String(err);
  } catch {
    return Object.prototype.toString.call(err);
  }
}
