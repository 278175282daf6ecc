import { RemotingError } from './remoting-error.js';

/**
 * Remoting frame (NettyEncoder/NettyDecoder). Big-endian:
 *
 *   int length                 = 4 + headerLength + bodyLength (the prefix itself not counted)
 *   int headerLengthAndType    high byte = serialize type (0 JSON, 1 ROCKETMQ), low 24 bits = headerLength
 *   byte[headerLength] header
 *   byte[...] body
 *
 * Netty's LengthFieldBasedFrameDecoder limits prefix + length to `maxFrameSize` (16 MiB default,
 * `com.rocketmq.remoting.frameMaxLength`); so do we.
 */
export const LENGTH_PREFIX_BYTES = 4;
export const HEADER_LENGTH_FIELD_BYTES = 4;
export const SERIALIZE_TYPE_SHIFT = 24;
export const HEADER_LENGTH_MASK = 0x00ffffff;
export const DEFAULT_MAX_FRAME_SIZE = 16 * 1024 * 1024;

export function checkFrameLength(length: number, maxFrameSize: number): void {
  if (length < HEADER_LENGTH_FIELD_BYTES) {
    throw new RemotingError('BAD_FRAME_LENGTH', `frame length ${length} is below the ${HEADER_LENGTH_FIELD_BYTES}-byte minimum`);
  }
  if (length + LENGTH_PREFIX_BYTES > maxFrameSize) {
    throw new RemotingError('FRAME_TOO_LARGE', `frame length ${length} exceeds the maximum frame size ${maxFrameSize}`);
  }
}

/**
 * Reassembles frames from stream chunks split anywhere. Frames lying wholly inside one chunk are
 * returned as zero-copy views of it; a frame spanning chunks is copied once, when complete. An
 * invalid length throws a RemotingError as soon as its 4 bytes are seen (before buffering), and
 * the decoder then refuses further input: the stream cannot be resynchronized.
 */
export class FrameDecoder {
  private readonly maxFrameSize: number;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Whole frame size including the prefix, once the prefix of the pending frame is known. */
  private pendingFrameSize = -1;
  private failed: RemotingError | undefined;

  constructor(maxFrameSize: number = DEFAULT_MAX_FRAME_SIZE) {
    this.maxFrameSize = maxFrameSize;
  }

  /** Bytes held for an incomplete frame. */
  get bufferedBytes(): number {
    return this.pendingBytes;
  }

  /**
   * Frames completed by `chunk`. On invalid input, throws if no frame was completed first;
   * otherwise returns the good frames and keeps the error in `error` (and for the next push), so
   * that requests preceding the bad bytes are still served, as Netty would.
   */
  push(chunk: Buffer): Buffer[] {
    if (this.failed) throw this.failed;
    const frames: Buffer[] = [];
    try {
      this.pushUnchecked(chunk, frames);
    } catch (err) {
      this.failed = err as RemotingError;
      this.pending = [];
      this.pendingBytes = 0;
      if (frames.length === 0) throw err;
    }
    return frames;
  }

  /** The error that stopped this decoder, if any. */
  get error(): RemotingError | undefined {
    return this.failed;
  }

  private pushUnchecked(chunk: Buffer, frames: Buffer[]): void {
    if (this.pendingBytes > 0) {
      const rest = this.completePending(chunk, frames);
      if (rest === undefined) return;
      chunk = rest;
    }
    let off = 0;
    const n = chunk.length;
    while (n - off >= LENGTH_PREFIX_BYTES) {
      const length = chunk.readInt32BE(off);
      checkFrameLength(length, this.maxFrameSize);
      const end = off + LENGTH_PREFIX_BYTES + length;
      if (end > n) {
        this.pendingFrameSize = LENGTH_PREFIX_BYTES + length;
        break;
      }
      frames.push(chunk.subarray(off + LENGTH_PREFIX_BYTES, end));
      off = end;
    }
    if (off < n) {
      this.pending.push(off === 0 ? chunk : chunk.subarray(off));
      this.pendingBytes = n - off;
    }
  }

  /** Adds `chunk` to the pending frame; returns the unconsumed rest of `chunk` once the frame completes. */
  private completePending(chunk: Buffer, frames: Buffer[]): Buffer | undefined {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingFrameSize < 0) {
      if (this.pendingBytes < LENGTH_PREFIX_BYTES) return undefined;
      const length = this.peekLength();
      checkFrameLength(length, this.maxFrameSize);
      this.pendingFrameSize = LENGTH_PREFIX_BYTES + length;
    }
    const size = this.pendingFrameSize;
    if (this.pendingBytes < size) return undefined;
    const frame = Buffer.allocUnsafe(size - LENGTH_PREFIX_BYTES);
    let consumed = 0;
    let rest: Buffer | undefined;
    for (const part of this.pending) {
      // This part spans [consumed, consumed + part.length) of the stream; the frame is [4, size).
      const from = Math.max(0, LENGTH_PREFIX_BYTES - consumed);
      const to = Math.min(part.length, size - consumed);
      if (to > from) part.copy(frame, consumed + from - LENGTH_PREFIX_BYTES, from, to);
      if (to < part.length) rest = part.subarray(to);
      consumed += part.length;
    }
    frames.push(frame);
    this.pending = [];
    this.pendingBytes = 0;
    this.pendingFrameSize = -1;
    return rest ?? Buffer.alloc(0);
  }

  private peekLength(): number {
    const head = Buffer.allocUnsafe(LENGTH_PREFIX_BYTES);
    let got = 0;
    for (const part of this.pending) {
      got += part.copy(head, got, 0, Math.min(part.length, LENGTH_PREFIX_BYTES - got));
      if (got === LENGTH_PREFIX_BYTES) break;
    }
    return head.readInt32BE(0);
  }
}
