import { format } from 'node:util';

/** The logging seam of the network layer: processors and servers take one, tests pass `silentLogger`. */
export interface Logger {
  debug(msg: string, ...args: unknown[]): void;
  info(msg: string, ...args: unknown[]): void;
  warn(msg: string, ...args: unknown[]): void;
  error(msg: string, ...args: unknown[]): void;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

const LEVEL_RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

function levelFromEnv(): LogLevel {
  const v = process.env.ROCKETMQ_TS_LOG_LEVEL?.toLowerCase();
  return v !== undefined && v in LEVEL_RANK ? (v as LogLevel) : 'info';
}

/** Where a logger also writes its lines (a server's log file). */
export interface LogSink {
  write(text: string): void;
}

/** One log line, as every logger here writes it. */
export function logLine(name: string, lvl: string, msg: string, args: unknown[] = []): string {
  return `${new Date().toISOString()} ${lvl} [${name}] ${args.length > 0 ? format(msg, ...args) : msg}\n`;
}

/**
 * Timestamped lines, `debug`/`info` to stdout and `warn`/`error` to stderr, so that a supervisor
 * capturing stderr sees only what needs attention, and each also to `file` when given. The level
 * defaults to env `ROCKETMQ_TS_LOG_LEVEL`.
 */
export function consoleLogger(name: string, level: LogLevel = levelFromEnv(), file: LogSink | null = null): Logger {
  const min = LEVEL_RANK[level];
  const emit = (out: NodeJS.WriteStream, lvl: string, msg: string, args: unknown[]): void => {
    const text = logLine(name, lvl, msg, args);
    out.write(text);
    file?.write(text);
  };
  return {
    debug: (msg, ...args) => { if (min <= 10) emit(process.stdout, 'DEBUG', msg, args); },
    info: (msg, ...args) => { if (min <= 20) emit(process.stdout, 'INFO ', msg, args); },
    warn: (msg, ...args) => { if (min <= 30) emit(process.stderr, 'WARN ', msg, args); },
    error: (msg, ...args) => { if (min <= 40) emit(process.stderr, 'ERROR', msg, args); },
  };
}

const noop = (): void => {};

export const silentLogger: Logger = { debug: noop, info: noop, warn: noop, error: noop };
