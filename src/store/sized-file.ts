import { closeSync, ftruncateSync, openSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** The hidden name a segment has while it is being created (see createSized). */
export const CREATING_SEGMENT = /^\.\d{20}\.new$/;

/**
 * Creates `path` at its full size atomically: a hidden temporary is sized and then renamed, so a
 * process killed in between never leaves a short segment that the next start would refuse. The
 * caller syncs the directory (MappedFile.syncDirectory) so the new name survives a power loss
 * like the data flushed into it. Returns a read-write descriptor (not O_APPEND: Linux's pwrite ignores the offset under it).
 */
export function createSized(path: string, size: number): number {
  const tmp = join(dirname(path), `.${basename(path)}.new`);
  const fd = openSync(tmp, 'w+');
  try {
    ftruncateSync(fd, size);
    renameSync(tmp, path);
  } catch (e) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
  return fd;
}
