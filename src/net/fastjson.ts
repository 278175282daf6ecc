/**
 * RocketMQ's bodies and config files are fastjson 1.2.x output, which differs from JSON in ways
 * Java and old clients depend on:
 *
 *  - bean fields are written in alphabetical order, null fields omitted (callers build plain
 *    objects with keys already in that order; `sortedKeys` helps);
 *  - maps with Integer/Long keys are written with BARE keys: `{"brokerAddrs":{0:"a:1",1:"b:2"}}`
 *    (legacy form; we model such maps as JS `Map<number, V>`). The standard form
 *    (`opts.standard`, what NameServer 4.9.4+ sends to new clients) quotes the keys, sorts map
 *    keys and escapes non-ASCII as \uXXXX (fastjson BrowserCompatible + MapSortField);
 *  - PrettyFormat (config/*.json) indents with tabs, one field per line, except that a map with
 *    non-String keys stays on one line and only its closing brace gets a new line:
 *
 *        {
 *        \t"offsetTable":{
 *        \t\t"T@g":{0:5,1:5
 *        \t\t}
 *        \t}
 *        }
 *
 * Readers must accept bare integer (and identifier) keys: `parseFastjson`.
 */

export interface FastjsonOptions {
  /** Quoted map keys, sorted maps, non-ASCII escaped (fastjson BrowserCompatible + MapSortField). */
  standard?: boolean;
  /** fastjson PrettyFormat, as RocketMQ writes its config files. */
  pretty?: boolean;
}

export function stringifyFastjson(value: unknown, opts: FastjsonOptions = {}): string {
  return write(value, opts.standard === true, opts.pretty === true, 0);
}

/** A copy of `obj` whose own keys are in alphabetical order (fastjson's bean field order). */
export function sortedKeys<T extends object>(obj: T): T {
  // Null prototype: assigning a `__proto__` field to a plain `{}` would set its prototype instead.
  const out = Object.create(null) as Record<string, unknown>;
  for (const k of Object.keys(obj).sort()) out[k] = (obj as Record<string, unknown>)[k];
  return out as T;
}

function newline(depth: number): string {
  return '\n' + '\t'.repeat(depth);
}

function writeString(s: string, standard: boolean): string {
  const json = JSON.stringify(s);
  return standard ? json.replace(/[\u0080-\uffff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0')) : json;
}

function write(v: unknown, standard: boolean, pretty: boolean, depth: number): string {
  switch (typeof v) {
    case 'string':
      return writeString(v, standard);
    case 'number':
      return Number.isFinite(v) ? String(v) : 'null';
    case 'bigint':
      return v.toString();
    case 'boolean':
      return v ? 'true' : 'false';
    case 'object':
      if (v === null) return 'null';
      // fastjson pretty-prints lists but writes sets (CollectionCodec) on one line.
      if (Array.isArray(v)) return writeList(v, standard, pretty, depth);
      if (v instanceof Set) return writeList(v, standard, false, depth);
      if (v instanceof Map) return writeMap(v, standard, pretty, depth);
      if (v instanceof Date) return String(v.getTime());
      if (typeof (v as { toJSON?: unknown }).toJSON === 'function') {
        return write((v as { toJSON(): unknown }).toJSON(), standard, pretty, depth);
      }
      return writeBean(v as Record<string, unknown>, standard, pretty, depth);
    default:
      return 'null';
  }
}

function writeList(items: Iterable<unknown>, standard: boolean, pretty: boolean, depth: number): string {
  let out = '[';
  let n = 0;
  for (const item of items) {
    if (n++ > 0) out += ',';
    if (pretty) out += newline(depth + 1);
    out += write(item ?? null, standard, pretty, depth + 1);
  }
  if (pretty && n > 0) out += newline(depth);
  return out + ']';
}

function writeBean(obj: Record<string, unknown>, standard: boolean, pretty: boolean, depth: number): string {
  let out = '{';
  let n = 0;
  // Own keys only: `for…in` would also write inherited ones, e.g. a prototype a `__proto__`
  // assignment smuggled in, as if they were fields of this bean.
  for (const key of Object.keys(obj)) {
    const val = obj[key];
    if (val === undefined || val === null || typeof val === 'function') continue;
    if (n++ > 0) out += ',';
    if (pretty) out += newline(depth + 1);
    out += writeString(key, standard) + ':' + write(val, standard, pretty, depth + 1);
  }
  if (pretty && n > 0) out += newline(depth);
  return out + '}';
}

function compareKeys(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const sa = String(a);
  const sb = String(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

function writeMap(map: Map<unknown, unknown>, standard: boolean, pretty: boolean, depth: number): string {
  const keys = standard ? [...map.keys()].sort(compareKeys) : map.keys();
  let out = '{';
  let n = 0;
  for (const key of keys) {
    const val = map.get(key);
    if (val === undefined || val === null) continue;
    if (n++ > 0) out += ',';
    const bare = !standard && (typeof key === 'number' || typeof key === 'bigint');
    // fastjson's MapSerializer breaks the line only before String keys.
    if (pretty && !bare) out += newline(depth + 1);
    out += (bare ? String(key) : writeString(String(key), standard)) + ':' + write(val, standard, pretty, depth + 1);
  }
  if (pretty && n > 0) out += newline(depth);
  return out + '}';
}

/**
 * Parses standard JSON and fastjson's bare-key objects (`{0:"a",1:"b"}`, `{offsetTable:{...}}`).
 * Bare keys come back as string keys, as JSON.parse gives quoted ones. Throws SyntaxError.
 */
export function parseFastjson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const quoted = quoteBareKeys(text);
    if (quoted === text) throw err;
    return JSON.parse(quoted);
  }
}

function isWhitespace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

function isBareKeyChar(c: number): boolean {
  return (
    (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) ||
    c === 0x2d /* - */ || c === 0x5f /* _ */ || c === 0x24 /* $ */ || c === 0x2e /* . */
  );
}

/** Puts quotes around unquoted object keys, leaving string contents untouched. */
function quoteBareKeys(text: string): string {
  const n = text.length;
  let out = '';
  let copied = 0;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      for (i++; i < n; i++) {
        const d = text.charCodeAt(i);
        if (d === 0x5c) i++;
        else if (d === 0x22) break;
      }
      continue;
    }
    if (c !== 0x7b && c !== 0x2c) continue;
    let start = i + 1;
    while (start < n && isWhitespace(text.charCodeAt(start))) start++;
    let end = start;
    while (end < n && isBareKeyChar(text.charCodeAt(end))) end++;
    if (end === start) continue;
    let colon = end;
    while (colon < n && isWhitespace(text.charCodeAt(colon))) colon++;
    if (text.charCodeAt(colon) !== 0x3a) continue;
    out += text.slice(copied, start) + '"' + text.slice(start, end) + '"';
    copied = end;
    i = end - 1;
  }
  return copied === 0 ? text : out + text.slice(copied);
}
