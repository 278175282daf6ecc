import { RemotingError } from './remoting-error.js';
import { type HeaderFields, hasOwnKeys } from './header-fields.js';
import { parseFastjson } from './fastjson.js';

/**
 * JSON header (serialize type 0): the RemotingCommand object as fastjson writes it, keys in
 * alphabetical order, null fields omitted:
 *
 *   {"code":105,"extFields":{"topic":"T"},"flag":0,"language":"JAVA","opaque":3,
 *    "remark":"...","serializeTypeCurrentRPC":"JSON","version":409}
 *
 * extFields keep insertion order (Java's HashMap order is not meaningful). On decode, key order is
 * free and extFields values may be numbers or booleans (ali-ons sends them): they are normalized to
 * Java's String.valueOf text.
 */

export function encodeJsonHeader(h: HeaderFields): string {
  // JSON.stringify keeps insertion order and drops undefined members: with the members listed
  // alphabetically it writes exactly fastjson's text, and faster than building it by hand.
  return JSON.stringify({
    code: h.code,
    extFields: h.hasCustomHeader || hasOwnKeys(h.extFields) ? h.extFields : undefined,
    flag: h.flag,
    language: h.language,
    opaque: h.opaque,
    remark: h.remark,
    serializeTypeCurrentRPC: 'JSON',
    version: h.version,
  });
}

function intField(obj: Record<string, unknown>, key: string, required: boolean): number {
  const v = obj[key];
  if (v === undefined || v === null) {
    if (required) throw new RemotingError('BAD_HEADER', `JSON header lacks "${key}"`);
    return 0;
  }
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return Number(v);
  throw new RemotingError('BAD_HEADER', `JSON header "${key}" is not an integer: ${JSON.stringify(v)}`);
}

function extValueToString(v: unknown): string | undefined {
  switch (typeof v) {
    case 'string':
      return v;
    case 'number':
    case 'boolean':
    case 'bigint':
      return String(v);
    case 'object':
      return v === null ? undefined : JSON.stringify(v);
    default:
      return undefined;
  }
}

function parseJsonHeaderText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return parseFastjson(text);
  }
}

export function decodeJsonHeader(frame: Buffer, start: number, end: number): HeaderFields {
  const text = frame.toString('utf8', start, end);
  let parsed: unknown;
  try {
    // Headers are standard JSON from every client we know; the native parser is several times
    // faster than ours, which stays as the fallback for fastjson's laxer forms.
    parsed = parseJsonHeaderText(text);
  } catch (err) {
    throw new RemotingError('BAD_HEADER', `JSON header does not parse: ${(err as Error).message}`, { cause: err });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new RemotingError('BAD_HEADER', 'JSON header is not an object');
  }
  const obj = parsed as Record<string, unknown>;
  const rawExt = obj.extFields;
  const extFields: Record<string, string> = {};
  let hasCustomHeader = false;
  if (rawExt !== undefined && rawExt !== null) {
    if (typeof rawExt !== 'object' || Array.isArray(rawExt)) {
      throw new RemotingError('BAD_HEADER', 'JSON header "extFields" is not an object');
    }
    hasCustomHeader = true;
    for (const key in rawExt) {
      const s = extValueToString((rawExt as Record<string, unknown>)[key]);
      if (s !== undefined) extFields[key] = s;
    }
  }
  const language = obj.language;
  const remark = obj.remark;
  return {
    code: intField(obj, 'code', true),
    language: typeof language === 'string' ? language : 'JAVA',
    version: intField(obj, 'version', false),
    opaque: intField(obj, 'opaque', false),
    flag: intField(obj, 'flag', false),
    remark: typeof remark === 'string' ? remark : undefined,
    extFields,
    hasCustomHeader,
  };
}
