import { closeSync, constants, ftruncateSync, mkdirSync, openSync, write } from 'node:fs';
import { join } from 'node:path';
import { mmap } from '../src/store/mmap.js';

/**
 * The store benchmark's raw baselines: pre-encoded records copied into mapped, pre-sized segment
 * files (rolling like the store, 8 bytes kept for the end marker), with no encoding at all; and
 * for SYNC_FLUSH, rounds of records made durable by one O_DSYNC write each.
 */
export class RawLog {
  private readonly dir: string;
  private readonly template: Buffer;
  private readonly segmentBytes: number;
  private seg: Buffer | null = null;
  private fd = -1;
  private dsyncFd = -1;
  private round = Buffer.alloc(0);
  private segments = 0;
  private pos = 0;

  /** `record`: the bytes appended each time (an already encoded message). */
  constructor(dir: string, record: Buffer, segmentBytes: number) {
    this.dir = dir;
    mkdirSync(this.dir);
    this.template = record;
    this.segmentBytes = segmentBytes;
  }

  /** Copies one record (rolling to a new segment like the store: 8 bytes kept for the end marker). */
  append(): void {
    if (!this.seg || this.pos + this.template.length + 8 > this.segmentBytes) this.roll();
    this.template.copy(this.seg!, this.pos);
    this.pos += this.template.length;
  }

  /**
   * `n` records copied into a buffer and written at the log's end through an O_DSYNC descriptor,
   * on libuv's pool: durable when it resolves, as a group commit of `n` sends can be at best.
   * Not through the mapping and fdatasync, as this baseline did first: on a kernel that gives
   * the page cache large folios, fdatasync writes whole folios (up to 2 MiB) back for every 64
   * KiB made durable, and the baseline measured that write amplification (2 GB written for about
   * 300 MB) instead of the disk.
   */
  appendDurable(n: number): Promise<void> {
    const len = n * this.template.length;
    if (!this.seg || this.pos + len + 8 > this.segmentBytes) this.roll();
    if (this.round.length < len) this.round = Buffer.alloc(len);
    for (let i = 0; i < n; i++) this.template.copy(this.round, i * this.template.length);
    const pos = this.pos;
    this.pos += len;
    return new Promise((resolve, reject) => write(this.dsyncFd, this.round, 0, len, pos, (e) => (e ? reject(e) : resolve())));
  }

  private roll(): void {
    this.close();
    const path = join(this.dir, String(this.segments++ * this.segmentBytes).padStart(20, '0'));
    this.fd = openSync(path, 'w+');
    ftruncateSync(this.fd, this.segmentBytes);
    this.dsyncFd = openSync(path, constants.O_RDWR | constants.O_DSYNC);
    this.seg = mmap.map(this.segmentBytes, (mmap.PROT_READ | mmap.PROT_WRITE) as 3, mmap.MAP_SHARED, this.fd, 0);
    this.pos = 0;
  }

  /** Drops the mapping (freed when collected) and the descriptor; files go with the temp dir. */
  close(): void {
    this.seg = null;
    if (this.fd >= 0) closeSync(this.fd);
    if (this.dsyncFd >= 0) closeSync(this.dsyncFd);
    this.fd = this.dsyncFd = -1;
  }
}
