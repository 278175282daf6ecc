import { RemotingError } from './remoting-error.js';
import type { HeaderFields } from './header-fields.js';
import { languageFromNumber, languageToNumber } from './codes.js';

/**
 * ROCKETMQ binary header (serialize type 1), RocketMQSerializable.java. Big-endian:
 *
 *   short code | byte language | short version | int opaque | int flag
 *   | int remarkLen | remark UTF-8 (remarkLen 0 = no remark)
 *   | int extLen    | extLen bytes of entries: short keyLen | key | int valLen | val
 *
 * A zero-length remark decodes as absent (Java reads it as null); empty ext values stay "".
 */
const CODE_BYTES = 2;
const LANGUAGE_BYTES = 1;
const VERSION_BYTES = 2;
const OPAQUE_BYTES = 4;
const FLAG_BYTES = 4;
const LENGTH_BYTES = 4;
const KEY_LENGTH_BYTES = 2;
const FIXED_BYTES = CODE_BYTES + LANGUAGE_BYTES + VERSION_BYTES + OPAQUE_BYTES + FLAG_BYTES + LENGTH_BYTES + LENGTH_BYTES;
const MAX_KEY_BYTES = 0x7fff;

export function encodeBinaryHeader(h: HeaderFields): Buffer {
  const remarkLen = h.remark === undefined ? 0 : Buffer.byteLength(h.remark);
  let extLen = 0;
  for (const key in h.extFields) {
    const keyLen = Buffer.byteLength(key);
    if (keyLen > MAX_KEY_BYTES) throw new RemotingError('BAD_HEADER', `extFields key of ${keyLen} bytes cannot be encoded`);
    extLen += KEY_LENGTH_BYTES + keyLen + LENGTH_BYTES + Buffer.byteLength(h.extFields[key]!);
  }
  const buf = Buffer.allocUnsafe(FIXED_BYTES + remarkLen + extLen);
  let p = buf.writeInt16BE(h.code, 0);
  p = buf.writeUInt8(languageToNumber(h.language), p);
  p = buf.writeInt16BE(h.version, p);
  p = buf.writeInt32BE(h.opaque, p);
  p = buf.writeInt32BE(h.flag, p);
  p = buf.writeInt32BE(remarkLen, p);
  if (remarkLen > 0) p += buf.write(h.remark!, p, 'utf8');
  p = buf.writeInt32BE(extLen, p);
  for (const key in h.extFields) {
    const keyLen = buf.write(key, p + KEY_LENGTH_BYTES, 'utf8');
    buf.writeInt16BE(keyLen, p);
    p += KEY_LENGTH_BYTES + keyLen;
    const valLen = buf.write(h.extFields[key]!, p + LENGTH_BYTES, 'utf8');
    buf.writeInt32BE(valLen, p);
    p += LENGTH_BYTES + valLen;
  }
  return buf;
}

function need(end: number, p: number, n: number, what: string): void {
  if (n < 0 || p + n > end) throw new RemotingError('BAD_HEADER', `binary header truncated reading ${what}`);
}

export function decodeBinaryHeader(frame: Buffer, start: number, end: number): HeaderFields {
  let p = start;
  need(end, p, FIXED_BYTES - LENGTH_BYTES, 'fixed fields');
  const code = frame.readInt16BE(p);
  const language = languageFromNumber(frame.readUInt8(p + 2));
  const version = frame.readInt16BE(p + 3);
  const opaque = frame.readInt32BE(p + 5);
  const flag = frame.readInt32BE(p + 9);
  const remarkLen = frame.readInt32BE(p + 13);
  p += 17;
  need(end, p, remarkLen, 'remark');
  const remark = remarkLen > 0 ? frame.toString('utf8', p, p + remarkLen) : undefined;
  p += remarkLen;
  need(end, p, LENGTH_BYTES, 'extFields length');
  const extLen = frame.readInt32BE(p);
  p += LENGTH_BYTES;
  need(end, p, extLen, 'extFields');
  const extEnd = p + extLen;
  const extFields: Record<string, string> = {};
  while (p < extEnd) {
    need(extEnd, p, KEY_LENGTH_BYTES, 'key length');
    const keyLen = frame.readInt16BE(p);
    p += KEY_LENGTH_BYTES;
    need(extEnd, p, keyLen, 'key');
    const key = frame.toString('utf8', p, p + keyLen);
    p += keyLen;
    need(extEnd, p, LENGTH_BYTES, 'value length');
    const valLen = frame.readInt32BE(p);
    p += LENGTH_BYTES;
    need(extEnd, p, valLen, 'value');
    extFields[key] = frame.toString('utf8', p, p + valLen);
    p += valLen;
  }
  return { code, language, version, opaque, flag, remark, extFields, hasCustomHeader: extLen > 0 };
}
