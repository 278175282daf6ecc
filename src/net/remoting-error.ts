/**
 * Typed errors of the remoting layer. `code` is a stable name callers switch on; frame and header
 * codes mean the peer sent bytes we cannot trust, so the connection carrying them must be closed.
 */
export type RemotingErrorCode =
  | 'FRAME_TOO_LARGE'
  | 'BAD_FRAME_LENGTH'
  | 'BAD_HEADER_LENGTH'
  | 'BAD_SERIALIZE_TYPE'
  | 'BAD_HEADER'
  | 'BAD_REQUEST_HEADER'
  | 'TIMEOUT'
  | 'CONNECTION_CLOSED'
  | 'CONNECT_FAILED'
  | 'BAD_ADDRESS'
  | 'CLIENT_CLOSED'
  | 'DUPLICATE_OPAQUE'
  | 'BAD_TLS_CONFIG';

export class RemotingError extends Error {
  readonly code: RemotingErrorCode;

  constructor(code: RemotingErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RemotingError';
    this.code = code;
  }

  /** True for errors that mean the peer's byte stream is corrupt (close the connection). */
  get isProtocolViolation(): boolean {
    return PROTOCOL_VIOLATIONS.has(this.code);
  }
}

const PROTOCOL_VIOLATIONS: ReadonlySet<RemotingErrorCode> = new Set<RemotingErrorCode>([
  'FRAME_TOO_LARGE',
  'BAD_FRAME_LENGTH',
  'BAD_HEADER_LENGTH',
  'BAD_SERIALIZE_TYPE',
  'BAD_HEADER',
]);

/** An invoke whose response did not arrive in time. */
export class RemotingTimeoutError extends RemotingError {
  readonly timeoutMs: number;
  readonly remoteAddress: string;

  constructor(remoteAddress: string, opaque: number, timeoutMs: number) {
    super('TIMEOUT', `wait response on ${remoteAddress} timeout, opaque ${opaque}, ${timeoutMs}ms`);
    this.name = 'RemotingTimeoutError';
    this.timeoutMs = timeoutMs;
    this.remoteAddress = remoteAddress;
  }
}
