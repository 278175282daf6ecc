import { closeSync, createReadStream, createWriteStream, fstatSync, openSync, readdirSync, renameSync, statSync, writeSync, type Stats } from 'node:fs';
import { open, rename, rm, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { makeDirs } from '../store/make-dirs.js';
import { consoleLogger, logLine, type Logger, type LogSink } from './logger.js';

/**
 * A server's log file, where RocketMQ users look for it: `~/logs/rocketmqlogs/broker.log` (or
 * `namesrv.log`), rolled by size into `otherdays/broker.1.log.gz` ... `.N.log.gz` as RocketMQ's
 * logback configuration does (1 is the newest). Lines are written synchronously: the lines that
 * matter most are the last ones before a crash, and a server logs events, not messages. A write
 * that fails (disk full, EIO) turns the file off with one report instead of failing the caller.
 */
export interface LogFileOptions {
  /** Roll once the file reaches this many bytes. */
  maxBytes: number;
  /** Rolled files kept in `otherdays/`. */
  keep: number;
  /** Told once, when the file cannot be written any more. */
  onError: (e: Error) => void;
  /** How often the file on disk is looked at for other processes' lines and rolls (ms). */
  checkEveryMs?: number;
}

/** RocketMQ 4.9's logback settings: broker.log 128 MB x 20, namesrv.log 100 MB x 5. */
export const LOG_FILES = {
  broker: { file: 'broker.log', maxBytes: 128 * 1024 * 1024, keep: 20 },
  namesrv: { file: 'namesrv.log', maxBytes: 100 * 1024 * 1024, keep: 5 },
} as const;

/** A file moved aside by a roll, named with the rolling process's pid: `broker.log.rolling-<pid>-<ms>-<n>`. */
const ROLLING = /\.rolling-(\d+)-\d+-\d+$/;
let rolls = 0;

export class RollingLogFile {
  private fd: number | null = null;
  private size = 0;
  private readonly otherdays: string;
  private readonly base: string;
  /** Compressions run one at a time, in roll order, so the shift of numbered files never races. */
  private compressing: Promise<void> = Promise.resolve();
  private checkedAt = 0;

  constructor(readonly path: string, private readonly opts: LogFileOptions) {
    this.otherdays = join(dirname(path), 'otherdays');
    this.base = basename(path).replace(/\.log$/, '');
    try {
      makeDirs(this.otherdays);
      this.fd = openSync(path, 'a');
      this.size = statSync(path).size;
      // A roll a crash interrupted left its renamed file uncompressed: finish it now (not one a
      // live process sharing the file is compressing).
      for (const f of readdirSync(this.otherdays).sort()) {
        const m = ROLLING.exec(f);
        if (m && f.startsWith(`${this.base}.`) && !isAlive(Number(m[1]))) this.compress(join(this.otherdays, f));
      }
    } catch (e) {
      this.fail(e);
    }
  }

  write(text: string): void {
    if (this.fd === null) return;
    try {
      this.size += writeSync(this.fd, text);
      const now = Date.now();
      if (this.size >= this.opts.maxBytes || now - this.checkedAt >= (this.opts.checkEveryMs ?? 1000)) this.check(now);
    } catch (e) {
      this.fail(e);
    }
  }

  /**
   * Brokers that share a home share `broker.log`, as RocketMQ's do: other processes append to it
   * and roll it. So the size that decides a roll is the file's, and a file renamed away by another
   * process's roll is let go of for the new one at the name (lines written to it meanwhile are
   * in the rolled file, which is compressed later).
   */
  private check(now: number): void {
    this.checkedAt = now;
    const mine = fstatSync(this.fd!);
    let named: Stats | null = null;
    try {
      named = statSync(this.path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    if (named === null || named.ino !== mine.ino) {
      closeSync(this.fd!);
      this.fd = openSync(this.path, 'a');
      this.size = fstatSync(this.fd).size;
      return;
    }
    this.size = mine.size;
    if (this.size >= this.opts.maxBytes) this.roll();
  }

  /** Resolves when every rolled file is compressed (tests, shutdown). */
  idle(): Promise<void> {
    return this.compressing;
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  /** The file moves aside at once (appending goes on in a new one); compressing it happens off the event loop. */
  private roll(): void {
    closeSync(this.fd!);
    this.fd = null;
    const aside = join(this.otherdays, `${this.base}.log.rolling-${process.pid}-${Date.now()}-${++rolls}`);
    renameSync(this.path, aside);
    this.fd = openSync(this.path, 'a');
    this.size = 0;
    this.compress(aside);
  }

  private compress(aside: string): void {
    const numbered = (i: number): string => join(this.otherdays, `${this.base}.${i}.log.gz`);
    this.compressing = this.compressing.then(async () => {
      const tmp = `${numbered(1)}.tmp-${process.pid}-${++rolls}`;
      try {
        await pipeline(createReadStream(aside), createGzip(), createWriteStream(tmp));
        // Other processes sharing the file shift the same numbered files: one at a time.
        await withLock(join(this.otherdays, `.${this.base}.lock`), async () => {
          await rm(numbered(this.opts.keep), { force: true });
          for (let i = this.opts.keep - 1; i >= 1; i--) await rename(numbered(i), numbered(i + 1)).catch(ignoreMissing);
          await rename(tmp, numbered(1));
        });
        await rm(aside, { force: true });
      } catch (e) {
        await rm(tmp, { force: true });
        this.opts.onError(new Error(`cannot roll ${this.path} into ${numbered(1)}: ${(e as Error).message}`, { cause: e }));
      }
    });
  }

  private fail(e: unknown): void {
    if (this.fd !== null) {
      try {
        closeSync(this.fd);
      } catch {
        // already reporting the first failure
      }
    }
    this.fd = null;
    this.opts.onError(new Error(`log file ${this.path} turned off: ${(e as Error).message}`, { cause: e }));
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0); // this process too: another RollingLogFile of it may be compressing
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Runs `fn` holding a lock file (O_EXCL); a lock older than 30 s is taken as left by a crash. */
async function withLock(lock: string, fn: () => Promise<void>): Promise<void> {
  for (;;) {
    try {
      await (await open(lock, 'wx')).close();
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const st = await stat(lock).catch(() => null);
      if (st && Date.now() - st.mtimeMs > 30_000) await rm(lock, { force: true });
      else await new Promise((r) => setTimeout(r, 20));
    }
  }
  try {
    await fn();
  } finally {
    await rm(lock, { force: true });
  }
}

function ignoreMissing(e: unknown): void {
  if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
}

/**
 * The directory of the servers' log files: `ROCKETMQ_TS_LOG_DIR` when set (`off` writes none, as the
 * test suite does), else RocketMQ's `~/logs/rocketmqlogs`.
 */
export function logDir(): string | null {
  const v = process.env.ROCKETMQ_TS_LOG_DIR;
  if (v === 'off') return null;
  return v !== undefined && v !== '' ? v : join(homedir(), 'logs', 'rocketmqlogs');
}

/** The log file of a server process (`broker` or `namesrv`), or null when file logging is off. */
export function serverLogFile(kind: keyof typeof LOG_FILES, onError: (e: Error) => void): RollingLogFile | null {
  const dir = logDir();
  if (dir === null) return null;
  const { file, maxBytes, keep } = LOG_FILES[kind];
  return new RollingLogFile(join(dir, file), { maxBytes, keep, onError });
}

/**
 * A server process's logger: console lines as before, each also in its log file. Failures of the
 * file itself go to stderr only (the file is what failed).
 */
export function serverLogger(kind: keyof typeof LOG_FILES): { logger: Logger; file: RollingLogFile | null } {
  const file = serverLogFile(kind, (e) => process.stderr.write(logLine(kind, 'WARN ', e.message)));
  return { logger: consoleLogger(kind, undefined, file), file };
}

/** A line for whoever watches the console (RocketMQ's "boot success"), also kept in the log file. */
export function announce(text: string, name: string, file: LogSink | null): void {
  process.stdout.write(`${text}\n`);
  file?.write(logLine(name, 'INFO ', text));
}

/** A server that could not start: says why on stderr and in its log file, and exits 1. */
export function exitOnStartFailure(program: string, name: string, file: LogSink | null, err: unknown): never {
  process.stderr.write(`${program}: ${err instanceof Error ? err.message : String(err)}\n`);
  file?.write(logLine(name, 'ERROR', `${program}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`));
  process.exit(1);
}
