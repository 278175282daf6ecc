import { existsSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { offsetToFileName } from './file-names.js';

const CHUNK = 4 * 1024 * 1024;
const SYNC_EVERY = 64 * 1024 * 1024;
const TEMP = /^\.\d{20}\.alloc$/;

/**
 * Prepares the next segment file in the background, filled with zeros so its blocks are
 * allocated before the first append touches it. Appending through a mapping into a sparse file
 * makes the kernel allocate blocks at writeback, which the appending thread's page faults then
 * contend with; on a preallocated file those faults are cheap (RocketMQ
 * warms its mapped files for the same reason).
 *
 * The file is written under a hidden temporary name and renamed only when the segment queue
 * takes it, synchronously, so a half-prepared file can never be mistaken for a segment.
 */
export class SegmentAllocator {
  private readonly dir: string;
  private readonly fileSize: number;
  private job: { from: number; temp: string; ready: boolean; abandoned: boolean } | null = null;
  private closed = false;
  /** Segments handed out preallocated, and jobs abandoned because the segment was needed sooner. */
  served = 0;
  missed = 0;

  constructor(dir: string, fileSize: number) {
    this.dir = dir;
    this.fileSize = fileSize;
  }

  /** Removes temporaries a previous process left behind (they never hold data). */
  removeStale(): void {
    if (!existsSync(this.dir)) return;
    for (const n of readdirSync(this.dir)) if (TEMP.test(n)) rmSync(join(this.dir, n), { force: true });
  }

  isReady(from: number): boolean {
    return this.job !== null && this.job.from === from && this.job.ready;
  }

  /** Starts preparing the segment that will begin at `from` (no-op if already under way). */
  prepare(from: number): void {
    if (this.closed || (this.job && this.job.from === from)) return;
    if (this.job && !this.job.ready) this.job.abandoned = true;
    const job = { from, temp: join(this.dir, `.${offsetToFileName(from)}.alloc`), ready: false, abandoned: false };
    this.job = job;
    this.fill(job).catch(() => {
      // Preallocation is an optimization: on any failure the segment is simply created sparse.
      if (this.job === job) this.job = null;
      void rm(job.temp, { force: true });
    });
  }

  private async fill(job: { temp: string; ready: boolean; abandoned: boolean }): Promise<void> {
    const fh = await open(job.temp, 'w');
    try {
      const zeros = Buffer.alloc(Math.min(CHUNK, this.fileSize));
      for (let pos = 0; pos < this.fileSize; pos += zeros.length) {
        if (job.abandoned || this.closed) throw new Error('abandoned');
        await fh.write(zeros, 0, Math.min(zeros.length, this.fileSize - pos), pos);
        if ((pos + zeros.length) % SYNC_EVERY === 0) await fh.datasync();
      }
      await fh.datasync();
    } finally {
      await fh.close();
    }
    if (job.abandoned || this.closed) throw new Error('abandoned');
    job.ready = true;
  }

  /**
   * Claims the prepared file for the segment at `from` as `finalPath` if it is ready; returns
   * false (and abandons any unfinished job for it) otherwise. Synchronous, so nothing can create
   * `finalPath` in between.
   */
  take(from: number, finalPath: string): boolean {
    const job = this.job;
    if (!job || job.from !== from) return false;
    this.job = null;
    if (!job.ready) {
      job.abandoned = true;
      this.missed++;
      return false;
    }
    if (existsSync(finalPath)) {
      rmSync(job.temp, { force: true });
      return false;
    }
    renameSync(job.temp, finalPath);
    this.served++;
    return true;
  }

  close(): void {
    this.closed = true;
    const job = this.job;
    this.job = null;
    if (job?.ready) rmSync(job.temp, { force: true });
    else if (job) job.abandoned = true;
  }
}
