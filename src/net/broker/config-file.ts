import { existsSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { replaceFile } from '../../store/replace-file.js';
import { parseFastjson } from '../fastjson.js';
import { makeDirs } from '../../store/make-dirs.js';

/**
 * The broker's `config/*.json` files, written as RocketMQ's MixAll.string2File does: new content to
 * `<file>.tmp`, the previous file copied to `<file>.bak`, then a rename, so a crash leaves either
 * the old or the new file whole. We also fsync the temp file first (RocketMQ does not) and keep
 * the file's permissions (replaceFile). Reading falls back to `.bak` when the file is missing or
 * does not parse.
 */
export class ConfigFileError extends Error {
  readonly code = 'CORRUPT_CONFIG_FILE';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ConfigFileError';
  }
}

/**
 * Rewrites one config file, always off the event loop: the fsync a durable rewrite needs takes
 * milliseconds, and far more while the commit log is being flushed (133 ms was seen), which
 * on the event loop is a stall of every connection. Rewrites are serialized (they share the
 * `.tmp` name); one asked for while another runs is coalesced into a single next write of the
 * newest text, and a text equal to what was last written is not written again.
 */
export class ConfigFileWriter {
  private running: Promise<void> | null = null;
  private next: string | undefined;
  private written: string | undefined;

  constructor(readonly path: string) {}

  /** Resolves once `text` (or a newer text asked for meanwhile) is on disk. */
  write(text: string): Promise<void> {
    if (this.running === null && text === this.written) return Promise.resolve();
    this.next = text;
    this.running ??= this.drain();
    return this.running;
  }

  /** Resolves when no rewrite is running (shutdown waits for this). */
  async idle(): Promise<void> {
    while (this.running) await this.running.catch(() => undefined);
  }

  private async drain(): Promise<void> {
    try {
      while (this.next !== undefined) {
        const text = this.next;
        this.next = undefined;
        await rewrite(this.path, text);
        this.written = text;
      }
    } finally {
      this.running = null;
    }
  }
}

async function rewrite(path: string, text: string): Promise<void> {
  makeDirs(dirname(path));
  await replaceFile(path, text, { backup: true });
}

/**
 * Parses the file (fastjson dialect: bare integer keys allowed) and hands it to `decode`; null when
 * neither the file nor its `.bak` exists. A file that exists but cannot be read back from either
 * copy is an error: starting empty would silently drop topics or offsets on the next write.
 */
export function readConfigFile<T>(path: string, decode: (value: unknown) => T): T | null {
  let firstError: unknown = null;
  for (const p of [path, `${path}.bak`]) {
    if (!existsSync(p)) continue;
    try {
      const text = readFileSync(p, 'utf8');
      if (text.trim() === '') continue;
      return decode(parseFastjson(text));
    } catch (e) {
      firstError ??= e;
    }
  }
  if (firstError) {
    throw new ConfigFileError(`cannot load ${path} (nor its .bak): ${(firstError as Error).message}`, { cause: firstError });
  }
  return null;
}

/** Reads `obj[key]` as a plain object (fastjson maps may come back as objects or Maps). */
export function entriesOf(value: unknown): [string, unknown][] {
  if (value instanceof Map) return [...value.entries()].map(([k, v]) => [String(k), v]);
  if (value && typeof value === 'object') return Object.entries(value as Record<string, unknown>);
  return [];
}
