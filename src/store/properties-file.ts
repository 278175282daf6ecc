import { readFile } from 'node:fs/promises';
import { replaceFile } from './replace-file.js';
/**
 * Java `.properties` text -> ordered key/value pairs, as `java.util.Properties.load` reads it:
 * `#`/`!` comments, `key=value`, `key: value` or `key value`, backslash line continuation,
 * leading whitespace stripped, trailing whitespace kept (RocketMQ users trip on `SLAVE ` exactly
 * because of that, so we keep the behaviour and let value validation name the key).
 */
export function parsePropertiesText(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const lines = text.split(/\r\n|\r|\n/);
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!.replace(/^[ \t\f]+/, '');
    if (line === '' || line[0] === '#' || line[0] === '!') continue;
    while (endsWithOddBackslashes(line) && i + 1 < lines.length) {
      line = line.slice(0, -1) + lines[++i]!.replace(/^[ \t\f]+/, '');
    }
    const m = /^((?:\\.|[^=:\s\\])*)[ \t\f]*[=:]?[ \t\f]*(.*)$/s.exec(line);
    if (!m) continue;
    out.set(unescape(m[1]!), unescape(m[2]!));
  }
  return out;
}

function endsWithOddBackslashes(s: string): boolean {
  let n = 0;
  for (let i = s.length - 1; i >= 0 && s[i] === '\\'; i--) n++;
  return n % 2 === 1;
}

function unescape(s: string): string {
  return s.replace(/\\(u[0-9a-fA-F]{4}|.)/g, (_m, c: string) => {
    if (c.length === 5) return String.fromCharCode(parseInt(c.slice(1), 16));
    return c === 't' ? '\t' : c === 'n' ? '\n' : c === 'r' ? '\r' : c === 'f' ? '\f' : c;
  });
}

/**
 * Replaces each key's `key=value` line in a properties file, appending keys it lacks, keeping
 * comments, order and the file's permissions; atomically and durably (a temporary file, synced,
 * then a rename: a crash leaves the old file or the new one, never an empty one). A missing file
 * is started afresh; a file that cannot be read is an error, never replaced by the new keys alone.
 */
export async function rewritePropertiesFile(file: string, props: Map<string, string>): Promise<void> {
  let text = '';
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const lines = text.length > 0 ? text.replace(/\n$/, '').split('\n') : [];
  const left = new Map(props);
  for (let i = 0; i < lines.length; i++) {
    const m = /^\s*([^#!\s=:][^=:\s]*)\s*[=:]/.exec(lines[i]!);
    if (!m || !left.has(m[1]!)) continue;
    lines[i] = `${m[1]}=${left.get(m[1]!)}`;
    left.delete(m[1]!);
  }
  for (const [k, v] of left) lines.push(`${k}=${v}`);
  await replaceFile(file, lines.join('\n') + '\n');
}
