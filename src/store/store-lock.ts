import { createHash } from 'node:crypto';
import { readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { StoreError } from './errors.js';

/**
 * One store per store directory, as RocketMQ's DefaultMessageStore.start ensures with a tryLock
 * on `<storePathRootDir>/lock` ("Lock failed,MQ already started"). Without it a second store on
 * the same directory (the same broker conf started twice, a program that opens its store again
 * before the first shutdown finished) runs crash recovery on files a live store is writing and,
 * on its way out, deletes that store's abort marker, so the live store's next crash would be
 * recovered as a clean stop.
 *
 * Node has no flock, and a pid file goes stale when a process is killed. The exclusion is an
 * abstract-namespace Unix socket named after the store's real path: binding it is atomic, fails
 * within one process as across processes, and the kernel releases it when the holder exits,
 * however it exits. (Abstract sockets belong to a network namespace: processes in two containers
 * sharing one volume do not see each other's.) The `lock` file (RocketMQ's name) only records the
 * holder's pid for the error message.
 */
/** RocketMQ's name for it. */
const LOCK_FILE = 'lock';

export class StoreLock {
  private constructor(private readonly server: Server | null) {}

  /** Takes the lock on `root` (an existing directory) or throws StoreError STORE_LOCKED naming the holder. */
  static async acquire(root: string): Promise<StoreLock> {
    // Abstract sockets are Linux-only; elsewhere run unguarded rather than refuse to start.
    if (process.platform !== 'linux') return new StoreLock(null);
    const real = realpathSync(root);
    const name = `\0rocketmq-ts-store-${createHash('sha256').update(real).digest('hex')}`;
    const server = createServer();
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(name, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE') {
        throw new StoreError('STORE_LOCKED', `cannot lock store ${real}`, { cause: e });
      }
      const holder = readHolder(real);
      // No cause: EADDRINUSE on a socket named by a hash would only puzzle whoever reads this.
      throw new StoreError(
        'STORE_LOCKED',
        `store ${real} is in use by another broker or store${holder ? ` (pid ${holder})` : ''}: stop it first, or give this one its own storePathRootDir`,
      );
    }
    // Only a lock: it must not keep a process alive that has nothing else left to do.
    server.unref();
    try {
      writeFileSync(join(real, LOCK_FILE), `${process.pid}\n`);
    } catch {
      // The pid is only informational; the socket is the lock.
    }
    return new StoreLock(server);
  }

  release(): Promise<void> {
    const server = this.server;
    if (!server?.listening) return Promise.resolve();
    return new Promise((resolve) => server.close(() => resolve()));
  }
}

function readHolder(root: string): string | null {
  try {
    const pid = readFileSync(join(root, LOCK_FILE), 'utf8').trim();
    return /^\d+$/.test(pid) ? pid : null;
  } catch {
    return null;
  }
}
