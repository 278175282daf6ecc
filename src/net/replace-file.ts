import { closeSync, copyFileSync, existsSync, fchmodSync, fsyncSync, openSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';

/**
 * Replaces a small config file (ACL accounts, the NameServer's KV table) with `text`: written to
 * `<path>.tmp`, fsynced, optionally the old file copied to `<path>.bak`, then renamed over it. A
 * crash, power loss included, leaves the old file or the new one, never an empty one; and the new
 * file keeps the old one's permissions (an ACL file holds secret keys: a 0600 file must not come
 * back 0644). Synchronous: these files change on rare admin requests, and their callers expect
 * the file written when they return.
 */
export function replaceFileSync(path: string, text: string, opts: { backup?: boolean } = {}): void {
  let mode = 0o644;
  try {
    mode = statSync(path).mode & 0o777;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w', mode);
  try {
    fchmodSync(fd, mode); // open's mode passes through the umask
    writeFileSync(fd, text);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
  closeSync(fd);
  try {
    if (opts.backup && existsSync(path)) copyFileSync(path, `${path}.bak`);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}
