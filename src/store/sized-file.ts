import { closeSync, existsSync, fstatSync, ftruncateSync, openSync, renameSync, rmSync } from 'node:fs';
import { StoreError } from './errors.js';
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

/**
 * Opens a segment of `size` bytes, creating it (see createSized) when `create` and missing, and
 * returns its descriptor and whether it was made sparse here. An existing file of another size is
 * refused: mapping past a file's end would kill the process with SIGBUS on first touch.
 */
export function openSized(path: string, size: number, opts: { create: boolean; readOnly?: boolean }): { fd: number; sparse: boolean } {
  let fd: number;
  let sparse = false;
  try {
    if (opts.create && !existsSync(path)) {
      fd = createSized(path, size);
      sparse = true;
    } else fd = openSync(path, opts.readOnly ? 'r' : 'r+');
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    // Every segment, consume queue file and index file keeps a descriptor: many topics need many.
    const hint = code === 'EMFILE' || code === 'ENFILE' ? ' (raise the open files limit, ulimit -n: every commit log, consume queue and index file keeps a descriptor open)' : '';
    throw new StoreError(opts.create ? 'CREATE_MAPPED_FILE_FAILED' : 'IO_ERROR', `cannot open ${path}${hint}`, { cause });
  }
  try {
    const actual = fstatSync(fd).size;
    if (actual === 0 && opts.create) {
      ftruncateSync(fd, size);
      sparse = true;
    } else if (actual !== size) {
      throw new StoreError('FILE_SIZE_MISMATCH', `${path} is ${actual} bytes, expected ${size} (check mappedFileSize settings)`);
    }
  } catch (e) {
    closeSync(fd);
    if (e instanceof StoreError) throw e;
    throw new StoreError('IO_ERROR', `cannot open ${path}`, { cause: e });
  }
  return { fd, sparse };
}
