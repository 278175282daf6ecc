import { closeSync, copyFileSync, fchmodSync, fsyncSync, openSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { copyFile, open, rename, rm, stat } from 'node:fs/promises';

/**
 * Small files that are rewritten whole (the broker's config/*.json, a `-c` properties file, the
 * ACL accounts, the NameServer's KV table, a broadcasting consumer's offsets): `text` goes to
 * `<path>.tmp`, which is fsynced; optionally the old file is copied to `<path>.bak`; then the
 * temporary is renamed over the file. A crash, power loss included, leaves the old file or the
 * new one, never an empty one; the new file keeps the old one's permissions (an ACL file holds
 * secret keys: a 0600 file must not come back 0644); and a failed replace removes its temporary.
 */
export interface ReplaceOptions {
  /** Copy the file being replaced to `<path>.bak` first (RocketMQ's MixAll.string2File does). */
  backup?: boolean;
}

const NEW_FILE_MODE = 0o644;

function ignoreMissing(e: unknown): void {
  if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
}

/** Synchronous, for files whose callers expect them written when they return (rare admin requests). */
export function replaceFileSync(path: string, text: string, opts: ReplaceOptions = {}): void {
  let mode = NEW_FILE_MODE;
  try {
    mode = statSync(path).mode & 0o777;
  } catch (e) {
    ignoreMissing(e);
  }
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w', mode);
  try {
    try {
      fchmodSync(fd, mode); // open's mode passes through the umask
      writeFileSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    if (opts.backup) {
      try {
        copyFileSync(path, `${path}.bak`);
      } catch (e) {
        ignoreMissing(e);
      }
    }
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** Off the event loop: an fsync takes milliseconds, far more while the commit log is being flushed. */
export async function replaceFile(path: string, text: string, opts: ReplaceOptions = {}): Promise<void> {
  let mode = NEW_FILE_MODE;
  try {
    mode = (await stat(path)).mode & 0o777;
  } catch (e) {
    ignoreMissing(e);
  }
  const tmp = `${path}.tmp`;
  const fh = await open(tmp, 'w', mode);
  try {
    try {
      await fh.chmod(mode);
      await fh.writeFile(text);
      await fh.sync();
    } finally {
      await fh.close();
    }
    if (opts.backup) await copyFile(path, `${path}.bak`).catch(ignoreMissing);
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}
