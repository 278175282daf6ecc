import { closeSync, copyFileSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseFastjson } from '../fastjson.js';

/**
 * The broker's `config/*.json` files, written as RocketMQ's MixAll.string2File does: new content to
 * `<file>.tmp`, the previous file copied to `<file>.bak`, then a rename, so a crash leaves either
 * the old or the new file whole. We also fsync the temp file first (RocketMQ does not). Reading
 * falls back to `.bak` when the file is missing or does not parse.
 */
export class ConfigFileError extends Error {
  readonly code = 'CORRUPT_CONFIG_FILE';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ConfigFileError';
  }
}

export function writeConfigFile(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  if (existsSync(path)) copyFileSync(path, `${path}.bak`);
  renameSync(tmp, path);
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
