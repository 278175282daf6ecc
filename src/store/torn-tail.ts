import type { MappedFile } from './mapped-file.js';

const PAGE = 4096;
const ZERO_RUN = 64 * 1024;
const ZERO_PAGE = Buffer.alloc(PAGE);
/** The window read at a time (one thread uses a MappedFile; every caller finishes with it at once). */
const SCRATCH = Buffer.alloc(ZERO_RUN);

/**
 * Zeroes a file from `pos` until a run of ZERO_RUN zero bytes: the stale bytes of a torn write must
 * not look like records once new appends land in front of them. Looks through readAt (pread), a
 * page at a time, and writes only into pages that hold non-zero bytes (so are backed: a hole read
 * or written through a mapping on a full tmpfs is a SIGBUS).
 */
export function zeroTornTail(f: MappedFile, pos: number): void {
  let p = pos;
  let zeros = 0;
  while (p < f.fileSize && zeros < ZERO_RUN) {
    const n = f.readAt(SCRATCH, p, ZERO_RUN);
    for (let q = 0; q < n && zeros < ZERO_RUN; ) {
      const end = Math.min(n, q + PAGE - ((p + q) % PAGE));
      if (ZERO_PAGE.compare(SCRATCH, q, end, 0, end - q) !== 0) {
        f.buffer.fill(0, p + q, p + end);
        zeros = 0;
      } else zeros += end - q;
      q = end;
    }
    p += n;
  }
}
