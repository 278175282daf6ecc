import { closeSync, fdatasync, ftruncateSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { mmap } from '../src/store/mmap.js';

/**
 * The store benchmark's raw baseline: pre-encoded records copied into mapped, pre-sized segment
 * files (rolling like the store, 8 bytes kept for the end marker), with no encoding at all.
 */
export class RawLog {
  private readonly dir: string;
  private readonly template: Buffer;
  private readonly segmentBytes: number;
  private seg: Buffer | null = null;
  private fd = -1;
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

  /** fdatasync of the current segment on libuv's pool, as the store's flush does it. */
  flush(): Promise<void> {
    return new Promise((resolve, reject) => fdatasync(this.fd, (e) => (e ? reject(e) : resolve())));
  }

  private roll(): void {
    this.close();
    const path = join(this.dir, String(this.segments++ * this.segmentBytes).padStart(20, '0'));
    this.fd = openSync(path, 'w+');
    ftruncateSync(this.fd, this.segmentBytes);
    this.seg = mmap.map(this.segmentBytes, (mmap.PROT_READ | mmap.PROT_WRITE) as 3, mmap.MAP_SHARED, this.fd, 0);
    this.pos = 0;
  }

  /** Drops the mapping (freed when collected) and the descriptor; files go with the temp dir. */
  close(): void {
    this.seg = null;
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}
