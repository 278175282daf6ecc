/**
 * Typed store errors. `code` is a stable name; `responseCode` is the RocketMQ remoting response
 * code a broker should answer with (MESSAGE_ILLEGAL = 13, SERVICE_NOT_AVAILABLE = 14, ...), so the
 * network layer maps errors without knowing the store's internals.
 */
export type StoreErrorCode =
  | 'MESSAGE_ILLEGAL'
  | 'PROPERTIES_SIZE_EXCEEDED'
  | 'SERVICE_NOT_AVAILABLE'
  | 'CREATE_MAPPED_FILE_FAILED'
  | 'NOT_A_STORE'
  | 'FILE_SIZE_MISMATCH'
  | 'CORRUPT_FILE'
  | 'BAD_CONFIG'
  | 'IO_ERROR'
  /** Another store (in this process or another) has the store directory open. */
  | 'STORE_LOCKED'
  /** Consume queue or index building failed for good: the store refuses appends until restarted. */
  | 'DISPATCH_FAILED';

/** RocketMQ response codes used by store errors (see ResponseCode.java). */
export const RESPONSE_CODE = {
  SYSTEM_ERROR: 1,
  FLUSH_DISK_TIMEOUT: 10,
  SLAVE_NOT_AVAILABLE: 11,
  FLUSH_SLAVE_TIMEOUT: 12,
  MESSAGE_ILLEGAL: 13,
  SERVICE_NOT_AVAILABLE: 14,
} as const;

const DEFAULT_RESPONSE: Record<StoreErrorCode, number> = {
  MESSAGE_ILLEGAL: RESPONSE_CODE.MESSAGE_ILLEGAL,
  PROPERTIES_SIZE_EXCEEDED: RESPONSE_CODE.MESSAGE_ILLEGAL,
  SERVICE_NOT_AVAILABLE: RESPONSE_CODE.SERVICE_NOT_AVAILABLE,
  CREATE_MAPPED_FILE_FAILED: RESPONSE_CODE.SYSTEM_ERROR,
  NOT_A_STORE: RESPONSE_CODE.SYSTEM_ERROR,
  FILE_SIZE_MISMATCH: RESPONSE_CODE.SYSTEM_ERROR,
  CORRUPT_FILE: RESPONSE_CODE.SYSTEM_ERROR,
  BAD_CONFIG: RESPONSE_CODE.SYSTEM_ERROR,
  IO_ERROR: RESPONSE_CODE.SYSTEM_ERROR,
  STORE_LOCKED: RESPONSE_CODE.SYSTEM_ERROR,
  // RocketMQ answers SERVICE_NOT_AVAILABLE while its logics queue or index is in error (RunningFlags).
  DISPATCH_FAILED: RESPONSE_CODE.SERVICE_NOT_AVAILABLE,
};

/**
 * The cause's own words appended once, so a log line or a response remark that shows only this
 * message still says why ("cannot open …: EMFILE: too many open files"). Before, such lines ended
 * at "cannot open PATH" and the errno was only in the cause chain, which loggers do not print.
 */
function withCause(message: string, cause: unknown): string {
  if (!(cause instanceof Error) || cause.message === '' || message.includes(cause.message)) return message;
  return `${message}: ${cause.message}`;
}

export class StoreError extends Error {
  readonly code: StoreErrorCode;
  readonly responseCode: number;

  constructor(code: StoreErrorCode, message: string, options?: { cause?: unknown; responseCode?: number }) {
    super(withCause(message, options?.cause), options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'StoreError';
    this.code = code;
    this.responseCode = options?.responseCode ?? DEFAULT_RESPONSE[code];
  }
}

/** The errno code (EIO, ...) of an error or of the first cause in its chain that has one. */
export function errnoOf(e: unknown): string | undefined {
  for (let c = e, depth = 0; c instanceof Error && depth < 8; c = c.cause, depth++) {
    const code = (c as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return code;
  }
  return undefined;
}

/**
 * Whether a failed write or flush means appended bytes can no longer become durable: after EIO
 * the kernel may have dropped the dirty pages, after EROFS nothing can be written (ext4's
 * errors=remount-ro). Other errors (a full disk) may clear and are retried.
 */
export function isLastingIoError(e: unknown): boolean {
  const errno = errnoOf(e);
  return errno === 'EIO' || errno === 'EROFS';
}
