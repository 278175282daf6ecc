import { ResponseCode } from '../codes.js';

/**
 * A request the broker refuses: `responseCode` is the RocketMQ response code to answer with and
 * the message becomes the response remark (clients show it to users).
 */
export class BrokerError extends Error {
  readonly code: string;
  readonly responseCode: number;

  constructor(responseCode: number, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'BrokerError';
    this.responseCode = responseCode;
    this.code = codeName(responseCode);
  }
}

function codeName(code: number): string {
  for (const [name, n] of Object.entries(ResponseCode)) if (n === code) return name;
  return `CODE_${code}`;
}
