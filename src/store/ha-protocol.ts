/**
 * RocketMQ 4.x master/slave replication: a raw TCP protocol of its own, not remoting frames.
 *
 * Slave -> master, a report (8 bytes): the slave's commit log max offset, big-endian.
 *
 *   +----------------------+
 *   | slaveMaxOffset  (8)  |   on connect (where to start), after each append, every heartbeat
 *   +----------------------+
 *
 * Master -> slave, a transfer: a 12-byte header and `bodySize` bytes of raw commit log.
 *
 *   +----------------------+-----------------+---------------------------+
 *   | masterPhyOffset (8)  | bodySize  (4)   | body (bodySize bytes)     |
 *   +----------------------+-----------------+---------------------------+
 *
 * A body never crosses a commit log segment boundary (it carries a finished segment's blank tail
 * too) and is at most `haTransferBatchSize`. A header with bodySize 0 is the master's heartbeat.
 */

export const HA_REPORT_SIZE = 8;
export const HA_HEADER_SIZE = 12;
const OFF_HEADER_OFFSET = 0;
const OFF_HEADER_BODY_SIZE = 8;
/** A body larger than this is not RocketMQ speaking (its batches are 32 KiB by default). */
export const HA_MAX_BODY_SIZE = 64 * 1024 * 1024;

export function encodeReport(offset: number): Buffer {
  const b = Buffer.allocUnsafe(HA_REPORT_SIZE);
  b.writeBigInt64BE(BigInt(offset), 0);
  return b;
}

export function encodeTransferHeader(b: Buffer, pos: number, offset: number, bodySize: number): void {
  b.writeBigInt64BE(BigInt(offset), pos + OFF_HEADER_OFFSET);
  b.writeInt32BE(bodySize, pos + OFF_HEADER_BODY_SIZE);
}

/** A protocol violation: the connection is closed, nothing is stored from it. */
export class HaProtocolError extends Error {
  override name = 'HaProtocolError';
}

/**
 * The master's side: the newest complete report in what has arrived (RocketMQ reads the last
 * whole 8 bytes and ignores older ones). Partial reports wait for their remaining bytes.
 */
export class ReportReader {
  private carry = Buffer.alloc(HA_REPORT_SIZE);
  private carried = 0;

  /** The last complete report in `chunk` (with bytes carried from before), or -1 if none. */
  push(chunk: Buffer): number {
    let last = -1;
    let i = 0;
    if (this.carried > 0) {
      const n = Math.min(HA_REPORT_SIZE - this.carried, chunk.length);
      chunk.copy(this.carry, this.carried, 0, n);
      this.carried += n;
      i = n;
      if (this.carried < HA_REPORT_SIZE) return -1;
      last = readOffset(this.carry, 0);
      this.carried = 0;
    }
    const whole = Math.floor((chunk.length - i) / HA_REPORT_SIZE);
    if (whole > 0) last = readOffset(chunk, i + (whole - 1) * HA_REPORT_SIZE);
    i += whole * HA_REPORT_SIZE;
    if (i < chunk.length) {
      chunk.copy(this.carry, 0, i);
      this.carried = chunk.length - i;
    }
    return last;
  }
}

/** One transfer as the slave receives it. */
export interface Transfer {
  offset: number;
  /** Empty for a heartbeat. */
  body: Buffer;
}

/**
 * The slave's side: reassembles transfers from socket chunks. Bodies are copied out of the
 * chunks (they are handed to another thread or kept past the chunk's life).
 */
export class TransferReader {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer, out: Transfer[]): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    let p = 0;
    while (this.buf.length - p >= HA_HEADER_SIZE) {
      const offset = readOffset(this.buf, p + OFF_HEADER_OFFSET);
      const size = this.buf.readInt32BE(p + OFF_HEADER_BODY_SIZE);
      // (NaN, a negative long, fails the first test.)
      if (!(offset >= 0) || size < 0 || size > HA_MAX_BODY_SIZE) {
        throw new HaProtocolError(`bad transfer header: offset ${offset}, body size ${size}`);
      }
      if (this.buf.length - p - HA_HEADER_SIZE < size) break;
      const start = p + HA_HEADER_SIZE;
      // A buffer of its own (not a slice of the allocator's pool): it may be transferred to another thread.
      const body = Buffer.allocUnsafeSlow(size);
      this.buf.copy(body, 0, start, start + size);
      out.push({ offset, body });
      p = start + size;
    }
    this.buf = p === this.buf.length ? Buffer.alloc(0) : Buffer.from(this.buf.subarray(p));
  }
}

function readOffset(b: Buffer, pos: number): number {
  const v = b.readBigInt64BE(pos);
  if (v < 0n || v > BigInt(Number.MAX_SAFE_INTEGER)) return Number.NaN;
  return Number(v);
}
