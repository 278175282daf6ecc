import { ResponseCode } from '../codes.js';
import { BrokerError } from './broker-error.js';

/**
 * SEND_BATCH_MESSAGE body (MessageDecoder.encodeMessages): records back to back, each
 *
 *   int totalSize   4+4+4+4+4+bodyLen+2+propsLen
 *   int magic       0 (unused)
 *   int bodyCRC     0 (unused)
 *   int flag
 *   int bodyLen     + body bytes
 *   short propsLen  + properties (UTF-8)
 *
 * Lengths are checked against the buffer: a bad batch is MESSAGE_ILLEGAL, never an out-of-range read.
 */
export interface BatchItem {
  flag: number;
  body: Buffer;
  properties: string;
}

export function decodeBatchBody(b: Buffer): BatchItem[] {
  return mapBatchBody(b, (flag, body, properties) => ({ flag, body, properties }));
}

/** decodeBatchBody straight into the caller's objects (the send path: no intermediate item per message). */
export function mapBatchBody<T>(b: Buffer, make: (flag: number, body: Buffer, properties: string) => T): T[] {
  const out: T[] = [];
  let p = 0;
  const bad = (why: string): never => {
    throw new BrokerError(ResponseCode.MESSAGE_ILLEGAL, `bad batch body at byte ${p}: ${why}`);
  };
  while (p < b.length) {
    if (p + 22 > b.length) bad('truncated record header');
    const total = b.readInt32BE(p);
    if (total < 22 || p + total > b.length) bad(`record size ${total} does not fit`);
    const flag = b.readInt32BE(p + 12);
    const bodyLen = b.readInt32BE(p + 16);
    if (bodyLen < 0 || 20 + bodyLen + 2 > total) bad(`body length ${bodyLen} does not fit`);
    const body = b.subarray(p + 20, p + 20 + bodyLen);
    const propsLen = b.readInt16BE(p + 20 + bodyLen);
    if (propsLen < 0 || 22 + bodyLen + propsLen !== total) bad(`properties length ${propsLen} does not match record size ${total}`);
    const properties = propsLen === 0 ? '' : b.toString('utf8', p + 22 + bodyLen, p + 22 + bodyLen + propsLen);
    out.push(make(flag, body, properties));
    p += total;
  }
  if (out.length === 0) throw new BrokerError(ResponseCode.MESSAGE_ILLEGAL, 'empty batch');
  return out;
}

/** The other direction, for clients and tests. */
export function encodeBatchBody(items: readonly { flag?: number; body: Buffer; properties?: string }[]): Buffer {
  const parts: Buffer[] = [];
  for (const it of items) {
    const props = Buffer.from(it.properties ?? '', 'utf8');
    const total = 22 + it.body.length + props.length;
    const h = Buffer.alloc(20);
    h.writeInt32BE(total, 0);
    h.writeInt32BE(it.flag ?? 0, 12);
    h.writeInt32BE(it.body.length, 16);
    const pl = Buffer.alloc(2);
    pl.writeInt16BE(props.length, 0);
    parts.push(h, it.body, pl, props);
  }
  return Buffer.concat(parts);
}
