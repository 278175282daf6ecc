import { closeSync, existsSync, fdatasync, fstatSync, ftruncateSync, openSync, readSync, rmSync, writeFileSync, writeSync, fdatasyncSync } from 'node:fs';
import { StoreError } from './errors.js';
import { readLong, writeLong } from './message-codec.js';

/**
 * `checkpoint` file, 4096 bytes, big-endian:
 *
 *   0  physicMsgTimestamp  long  store time of the newest durable commit log record
 *   8  logicsMsgTimestamp  long  store time of the newest record dispatched to consume queues
 *  16  indexMsgTimestamp   long  end time of the newest full index file
 *
 * After a crash, recovery restarts dispatch from the commit log segment whose first record is
 * older than min(physic, logics) - 3 s.
 */
export const CHECKPOINT_FILE_SIZE = 4096;
const OFF_PHYSIC = 0;
const OFF_LOGICS = 8;
const OFF_INDEX = 16;

export class StoreCheckpoint {
  readonly path: string;
  physicMsgTimestamp = 0;
  logicsMsgTimestamp = 0;
  indexMsgTimestamp = 0;
  private readonly fd: number;
  private readonly buf = Buffer.alloc(CHECKPOINT_FILE_SIZE);

  /**
   * Why the file's contents cannot be trusted (a size other than 4096 bytes: it was truncated or
   * written by something else), or null. Its timestamps then read as 0 until `reset()`.
   */
  readonly damage: string | null = null;

  constructor(path: string) {
    this.path = path;
    const existed = existsSync(path);
    this.fd = openSync(path, existed ? 'r+' : 'w+');
    const size = fstatSync(this.fd).size;
    if (existed && size !== 0 && size !== CHECKPOINT_FILE_SIZE) {
      this.damage = `${path} is ${size} bytes, a checkpoint file is ${CHECKPOINT_FILE_SIZE}`;
    } else if (existed && size !== 0) {
      readSync(this.fd, this.buf, 0, CHECKPOINT_FILE_SIZE, 0);
      this.physicMsgTimestamp = readLong(this.buf, OFF_PHYSIC);
      this.logicsMsgTimestamp = readLong(this.buf, OFF_LOGICS);
      this.indexMsgTimestamp = readLong(this.buf, OFF_INDEX);
    } else {
      writeSync(this.fd, this.buf, 0, CHECKPOINT_FILE_SIZE, 0);
    }
  }

  /**
   * Rewrites a damaged file as a zeroed checkpoint. Zero times make crash recovery check the
   * commit log from its first segment and drop every index file, so the caller must have marked
   * the store as crashed (abort marker) first: a start interrupted after this then recovers the
   * same way.
   */
  reset(): void {
    this.physicMsgTimestamp = this.logicsMsgTimestamp = this.indexMsgTimestamp = 0;
    this.buf.fill(0);
    ftruncateSync(this.fd, 0);
    writeSync(this.fd, this.buf, 0, CHECKPOINT_FILE_SIZE, 0);
    fdatasyncSync(this.fd);
  }

  /** Oldest time from which a crash may have lost dispatch or flush progress. */
  minTimestamp(includeIndex: boolean): number {
    let min = Math.min(this.physicMsgTimestamp, this.logicsMsgTimestamp);
    if (includeIndex && this.indexMsgTimestamp > 0) min = Math.min(min, this.indexMsgTimestamp);
    return Math.max(0, min - 3000);
  }

  private encode(): void {
    writeLong(this.buf, this.physicMsgTimestamp, OFF_PHYSIC);
    writeLong(this.buf, this.logicsMsgTimestamp, OFF_LOGICS);
    writeLong(this.buf, this.indexMsgTimestamp, OFF_INDEX);
    writeSync(this.fd, this.buf, 0, 24, 0);
  }

  flush(): Promise<void> {
    this.encode();
    return new Promise((resolve, reject) =>
      fdatasync(this.fd, (err) => (err ? reject(new StoreError('IO_ERROR', `fdatasync ${this.path}`, { cause: err })) : resolve())),
    );
  }

  flushSync(): void {
    this.encode();
    fdatasyncSync(this.fd);
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** The abort marker: present while a store is open, so its presence at start means a crash. */
export const abortMarker = {
  exists: (path: string): boolean => existsSync(path),
  create: (path: string): void => writeFileSync(path, ''),
  remove: (path: string): void => rmSync(path, { force: true }),
};
