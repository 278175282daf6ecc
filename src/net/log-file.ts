import { closeSync, createReadStream, createWriteStream, openSync, readdirSync, renameSync, statSync, writeSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
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
}

/** RocketMQ 4.9's logback settings: broker.log 128 MB x 20, namesrv.log 100 MB x 5. */
export const LOG_FILES = {
  broker: { file: 'broker.log', maxBytes: 128 * 1024 * 1024, keep: 20 },
  namesrv: { file: 'namesrv.log', maxBytes: 100 * 1024 * 1024, keep: 5 },
} as const;

const ROLLING = /\.rolling-\d+$/;

export class RollingLogFile {
  private fd: number | null = null;
  private size = 0;
  private readonly otherdays: string;
  private readonly base: string;
  /** Compressions run one at a time, in roll order, so the shift of numbered files never races. */
  private compressing: Promise<void> = Promise.resolve();

  constructor(readonly path: string, private readonly opts: LogFileOptions) {
    this.otherdays = join(dirname(path), 'otherdays');
    this.base = basename(path).replace(/\.log$/, '');
    try {
      makeDirs(this.otherdays);
      this.fd = openSync(path, 'a');
      this.size = statSync(path).size;
      // A roll a crash interrupted left its renamed file uncompressed: finish it now.
      for (const f of readdirSync(this.otherdays).filter((n) => n.startsWith(`${this.base}.`) && ROLLING.test(n)).sort()) this.compress(join(this.otherdays, f));
    } catch (e) {
      this.fail(e);
    }
  }

  write(text: string): void {
    if (this.fd === null) return;
    try {
      this.size += writeSync(this.fd, text);
      if (this.size >= this.opts.maxBytes) this.roll();
    } catch (e) {
      this.fail(e);
    }
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
    const aside = join(this.otherdays, `${this.base}.log.rolling-${Date.now()}`);
    renameSync(this.path, aside);
    this.fd = openSync(this.path, 'a');
    this.size = 0;
    this.compress(aside);
  }

  private compress(aside: string): void {
    const numbered = (i: number): string => join(this.otherdays, `${this.base}.${i}.log.gz`);
    this.compressing = this.compressing.then(async () => {
      try {
        await rm(numbered(this.opts.keep), { force: true });
        for (let i = this.opts.keep - 1; i >= 1; i--) await rename(numbered(i), numbered(i + 1)).catch(ignoreMissing);
        const tmp = `${numbered(1)}.tmp`;
        await pipeline(createReadStream(aside), createGzip(), createWriteStream(tmp));
        await rename(tmp, numbered(1));
        await rm(aside, { force: true });
      } catch (e) {
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
