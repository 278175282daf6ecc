import { type Message, encodeProperties } from './message.js';
import { illegalArgument } from './errors.js';

/**
 * SEND_BATCH_MESSAGE (320) body (MessageDecoder.encodeMessages): one record per message, back to
 * back, all integers big-endian:
 *
 *   int   totalSize   = 20 + bodyLen + 2 + propsLen
 *   int   magic       0
 *   int   bodyCRC     0 (the broker computes it)
 *   int   flag
 *   int   bodyLen, then body bytes
 *   short propsLen,  then the property string (UTF-8)
 *
 * Each message's properties must already carry its UNIQ_KEY. Written into one buffer sized up
 * front: no per-message allocation besides the property strings.
 */
export const BATCH_RECORD_FIXED_BYTES = 4 + 4 + 4 + 4 + 4 + 2;

export function encodeBatchBody(msgs: readonly Message[]): Buffer {
  const props = new Array<string>(msgs.length);
  const propLens = new Array<number>(msgs.length);
  let total = 0;
  for (let i = 0; i < msgs.length; i++) {
    const m = msgs[i]!;
    props[i] = encodeProperties(m.properties);
    propLens[i] = Buffer.byteLength(props[i]!);
    if (propLens[i]! > 0x7fff) throw illegalArgument(`properties of batch message ${i} exceed 32767 bytes`);
    total += BATCH_RECORD_FIXED_BYTES + m.body.length + propLens[i]!;
  }
  const out = Buffer.allocUnsafe(total);
  let p = 0;
  for (let i = 0; i < msgs.length; i++) {
    const m = msgs[i]!;
    const size = BATCH_RECORD_FIXED_BYTES + m.body.length + propLens[i]!;
    p = out.writeInt32BE(size, p);
    p = out.writeInt32BE(0, p);
    p = out.writeInt32BE(0, p);
    p = out.writeInt32BE(m.flag | 0, p);
    p = out.writeInt32BE(m.body.length, p);
    p += m.body.copy(out, p);
    p = out.writeInt16BE(propLens[i]!, p);
    if (propLens[i]! > 0) p += out.write(props[i]!, p, 'utf8');
  }
  return out;
}

/** Inverse of encodeBatchBody (tests and tools): records -> {flag, body, properties}. */
export function decodeBatchBody(b: Buffer): { flag: number; body: Buffer; properties: string }[] {
  const out: { flag: number; body: Buffer; properties: string }[] = [];
  for (let p = 0; p < b.length; ) {
    const size = b.readInt32BE(p);
    const flag = b.readInt32BE(p + 12);
    const bodyLen = b.readInt32BE(p + 16);
    const body = b.subarray(p + 20, p + 20 + bodyLen);
    const propsLen = b.readInt16BE(p + 20 + bodyLen);
    const properties = b.toString('utf8', p + 22 + bodyLen, p + 22 + bodyLen + propsLen);
    out.push({ flag, body, properties });
    p += size;
  }
  return out;
}
