import { crc32 } from 'node:zlib';
import type { HostAddress, MessageInput, StoredMessage } from './types.js';
import { decodePropertiesObject } from './properties.js';

/**
 * RocketMQ 4.x stored-message record (all integers big-endian), IPv4 hosts shown:
 *
 *   0  TOTALSIZE        int      whole record length
 *   4  MAGICCODE        int      0xDAA320A7 message, 0xCBD43194 blank end-of-file marker
 *   8  BODYCRC          int      crc32(body) & 0x7fffffff
 *  12  QUEUEID          int
 *  16  FLAG             int      user flag
 *  20  QUEUEOFFSET      long     ConsumeQueue index
 *  28  PHYSICALOFFSET   long     commit log offset of this record
 *  36  SYSFLAG          int      0x10 born host IPv6, 0x20 store host IPv6, bits 2-3 transaction type
 *  40  BORNTIMESTAMP    long
 *  48  BORNHOST         4+4      (16+4 when IPv6)
 *  56  STORETIMESTAMP   long
 *  64  STOREHOST        4+4      (16+4 when IPv6)
 *  72  RECONSUMETIMES   int
 *  76  PREPARED_TX_OFF  long
 *  84  BODY             int length + bytes
 *      TOPIC            byte length + UTF-8 (<= 127 bytes)
 *      PROPERTIES       short length + UTF-8 (<= 32767 bytes)
 *
 * Blank marker at a segment's tail: [int remaining bytes][int BLANK_MAGIC]; readers skip to the
 * next segment. Encoding writes straight into the target (a mapped segment): no temporary buffers.
 */
export const MESSAGE_MAGIC = 0xdaa320a7 | 0;
export const BLANK_MAGIC = 0xcbd43194 | 0;
export const END_FILE_MIN_BLANK_LENGTH = 8;
export const MAX_TOPIC_BYTES = 127;
export const MAX_PROPERTIES_BYTES = 32767;

export const OFF_TOTALSIZE = 0;
export const OFF_MAGIC = 4;
export const OFF_BODYCRC = 8;
export const OFF_QUEUEID = 12;
export const OFF_FLAG = 16;
export const OFF_QUEUEOFFSET = 20;
export const OFF_PHYSICALOFFSET = 28;
export const OFF_SYSFLAG = 36;
export const OFF_BORNTIMESTAMP = 40;
export const OFF_BORNHOST = 48;

export const SYSFLAG_COMPRESSED = 0x1;
export const SYSFLAG_MULTI_TAGS = 0x2;
export const SYSFLAG_TRANSACTION_MASK = 0xc;
export const TRANSACTION_NOT_TYPE = 0x0;
export const TRANSACTION_PREPARED_TYPE = 0x4;
export const TRANSACTION_COMMIT_TYPE = 0x8;
export const TRANSACTION_ROLLBACK_TYPE = 0xc;
export const SYSFLAG_BORNHOST_V6 = 0x10;
export const SYSFLAG_STOREHOST_V6 = 0x20;

const LOOPBACK: HostAddress = { ip: Buffer.from([127, 0, 0, 1]), port: 0 };

export function hostLength(v6: boolean): number {
  return v6 ? 20 : 8;
}

/** Record length: 91 fixed bytes with IPv4 hosts, plus 12 for each IPv6 host (CommitLog.calMsgLength). */
export function calMsgLength(sysFlag: number, bodyLength: number, topicLength: number, propertiesLength: number): number {
  const born = sysFlag & SYSFLAG_BORNHOST_V6 ? 20 : 8;
  const store = sysFlag & SYSFLAG_STOREHOST_V6 ? 20 : 8;
  return 4 + 4 + 4 + 4 + 4 + 8 + 8 + 4 + 8 + born + 8 + store + 4 + 8 + 4 + bodyLength + 1 + topicLength + 2 + propertiesLength;
}

export function bodyCrc(body: Buffer): number {
  return crc32(body) & 0x7fffffff;
}

/** Everything the store decides at append time. */
export interface AppendFields {
  queueOffset: number;
  physicalOffset: number;
  storeTimestamp: number;
  storeHost: HostAddress;
}

/**
 * Writes one record at `pos`; `topicBytes`/`propsBytes` are the UTF-8 lengths the caller already
 * measured for its size checks, `topicBuf` the topic's UTF-8 bytes if the caller keeps them.
 * Returns the record length.
 */
export function encodeMessage(
  target: Buffer,
  pos: number,
  msg: MessageInput,
  topicBytes: number,
  propsBytes: number,
  f: AppendFields,
  topicBuf?: Buffer,
): number {
  const bornHost = msg.bornHost ?? LOOPBACK;
  let sysFlag = (msg.sysFlag ?? 0) & ~(SYSFLAG_BORNHOST_V6 | SYSFLAG_STOREHOST_V6);
  if (bornHost.ip.length === 16) sysFlag |= SYSFLAG_BORNHOST_V6;
  if (f.storeHost.ip.length === 16) sysFlag |= SYSFLAG_STOREHOST_V6;
  const body = msg.body;
  const total = calMsgLength(sysFlag, body.length, topicBytes, propsBytes);
  // DataView stores are big-endian and inlined by V8: far cheaper than Buffer.writeInt32BE's checks.
  const v = viewOf(target);
  let p = pos;
  v.setInt32(p, total);
  // The magic code is written last: a writer killed mid-record leaves 0 there, which every
  // reader and recovery treats as the end of valid data.
  v.setInt32(p + 4, 0);
  v.setInt32(p + 8, bodyCrc(body));
  v.setInt32(p + 12, msg.queueId);
  v.setInt32(p + 16, msg.flag ?? 0);
  setLong(v, p + 20, f.queueOffset);
  setLong(v, p + 28, f.physicalOffset);
  v.setInt32(p + 36, sysFlag);
  setLong(v, p + 40, msg.bornTimestamp ?? f.storeTimestamp);
  p = setHost(v, target, p + 48, bornHost);
  setLong(v, p, f.storeTimestamp);
  p = setHost(v, target, p + 8, f.storeHost);
  v.setInt32(p, msg.reconsumeTimes ?? 0);
  setLong(v, p + 4, msg.preparedTransactionOffset ?? 0);
  v.setInt32(p + 12, body.length);
  p += 16;
  target.set(body, p);
  p += body.length;
  target[p++] = topicBytes;
  if (topicBuf) {
    // A topic is at most 127 bytes: a byte loop beats Buffer.write's call for these few.
    for (let i = 0; i < topicBytes; i++) target[p + i] = topicBuf[i]!;
    p += topicBytes;
  } else p += target.write(msg.topic, p, 'utf8');
  v.setInt16(p, propsBytes);
  p += 2;
  if (propsBytes > 0) target.write(msg.properties!, p, 'utf8');
  v.setInt32(pos + OFF_MAGIC, MESSAGE_MAGIC);
  return total;
}

const views = new WeakMap<Buffer, DataView>();

let lastViewed: Buffer | undefined;
let lastView: DataView | undefined;

/** A DataView over `b`, cached: mapped segments are long-lived and encoded into many times. */
export function viewOf(b: Buffer): DataView {
  // Appends go to one segment for a long time: skip the WeakMap lookup for it.
  if (b === lastViewed) return lastView!;
  let v = views.get(b);
  if (v === undefined) {
    v = new DataView(b.buffer, b.byteOffset, b.byteLength);
    views.set(b, v);
  }
  lastViewed = b;
  lastView = v;
  return v;
}

/** Writes a non-negative or negative safe integer as a big-endian two's complement long. */
export function setLong(v: DataView, p: number, value: number): void {
  v.setUint32(p, Math.floor(value / 0x1_0000_0000) >>> 0);
  v.setUint32(p + 4, value >>> 0);
}

function setHost(v: DataView, b: Buffer, p: number, h: HostAddress): number {
  b.set(h.ip, p);
  p += h.ip.length;
  v.setInt32(p, h.port);
  return p + 4;
}

/** The BLANK end-of-file marker RocketMQ writes when a record does not fit in a segment. */
export function encodeBlank(target: Buffer, pos: number, remaining: number): void {
  target.writeInt32BE(remaining, pos);
  target.writeInt32BE(BLANK_MAGIC, pos + 4);
}

export function writeLong(b: Buffer, v: number, p: number): number {
  b.writeUInt32BE(Math.floor(v / 0x1_0000_0000) >>> 0, p);
  b.writeUInt32BE(v >>> 0, p + 4);
  return p + 8;
}

export function readLong(b: Buffer, p: number): number {
  const hi = b.readInt32BE(p);
  return hi * 0x1_0000_0000 + b.readUInt32BE(p + 4);
}

/** Where BODYLENGTH sits in a record at `pos` with these flags (host fields are 8 or 20 bytes). */
export function bodyLengthAt(pos: number, sysFlag: number): number {
  const bornLen = hostLength((sysFlag & SYSFLAG_BORNHOST_V6) !== 0);
  const storeLen = hostLength((sysFlag & SYSFLAG_STOREHOST_V6) !== 0);
  // BORNHOST, STORETIMESTAMP 8, STOREHOST, RECONSUMETIMES 4, PREPARED TRANSACTION OFFSET 8
  return pos + OFF_BORNHOST + bornLen + 8 + storeLen + 4 + 8;
}

/** Offsets of the variable-position fields of a record at `pos`. */
export function recordLayout(b: Buffer, pos: number) {
  const sysFlag = b.readInt32BE(pos + OFF_SYSFLAG);
  const bornLen = hostLength((sysFlag & SYSFLAG_BORNHOST_V6) !== 0);
  const storeLen = hostLength((sysFlag & SYSFLAG_STOREHOST_V6) !== 0);
  const storeTs = pos + OFF_BORNHOST + bornLen;
  const storeHost = storeTs + 8;
  const reconsume = storeHost + storeLen;
  const prepared = reconsume + 4;
  const bodyLenAt = bodyLengthAt(pos, sysFlag);
  const bodyLen = b.readInt32BE(bodyLenAt);
  const topicLenAt = bodyLenAt + 4 + bodyLen;
  const topicLen = b[topicLenAt]!;
  const propsLenAt = topicLenAt + 1 + topicLen;
  return { sysFlag, bornLen, storeLen, storeTs, storeHost, reconsume, prepared, bodyLenAt, bodyLen, topicLenAt, topicLen, propsLenAt };
}

export function storeTimestampOf(b: Buffer, pos: number): number {
  const sysFlag = b.readInt32BE(pos + OFF_SYSFLAG);
  return readLong(b, pos + OFF_BORNHOST + hostLength((sysFlag & SYSFLAG_BORNHOST_V6) !== 0));
}

/** Full decode of the record at `pos` (body is a zero-copy slice of `b`). */
export function decodeMessage(b: Buffer, pos: number): StoredMessage {
  const L = recordLayout(b, pos);
  const commitLogOffset = readLong(b, pos + OFF_PHYSICALOFFSET);
  const propsLen = b.readInt16BE(L.propsLenAt);
  const propertiesString = propsLen > 0 ? b.toString('utf8', L.propsLenAt + 2, L.propsLenAt + 2 + propsLen) : '';
  return {
    storeSize: b.readInt32BE(pos),
    bodyCRC: b.readInt32BE(pos + OFF_BODYCRC),
    queueId: b.readInt32BE(pos + OFF_QUEUEID),
    flag: b.readInt32BE(pos + OFF_FLAG),
    queueOffset: readLong(b, pos + OFF_QUEUEOFFSET),
    commitLogOffset,
    sysFlag: L.sysFlag,
    bornTimestamp: readLong(b, pos + OFF_BORNTIMESTAMP),
    bornHost: hostAt(b, pos + OFF_BORNHOST, L.bornLen),
    storeTimestamp: readLong(b, L.storeTs),
    storeHost: hostAt(b, L.storeHost, L.storeLen),
    reconsumeTimes: b.readInt32BE(L.reconsume),
    preparedTransactionOffset: readLong(b, L.prepared),
    body: b.subarray(L.bodyLenAt + 4, L.bodyLenAt + 4 + L.bodyLen),
    topic: b.toString('utf8', L.topicLenAt + 1, L.topicLenAt + 1 + L.topicLen),
    propertiesString,
    properties: decodePropertiesObject(propertiesString),
    msgId: offsetMsgIdAt(b, L.storeHost, L.storeLen, commitLogOffset),
  };
}

/**
 * createOffsetMsgId of a decoded record, from its STOREHOST bytes as they lie in the record (the
 * id is those bytes and the offset, in hex): no host object or cache per message, one string.
 */
function offsetMsgIdAt(b: Buffer, hostAt: number, hostLen: number, offset: number): string {
  const size = (hostLen + 8) * 2;
  if (idScratch.length < size) idScratch = Buffer.allocUnsafe(4096);
  const out = idScratch;
  let p = 0;
  for (let i = hostAt; i < hostAt + hostLen; i++) {
    out[p++] = HEX_UPPER[b[i]! >>> 4]!;
    out[p++] = HEX_UPPER[b[i]! & 15]!;
  }
  let hi = Math.floor(offset / 0x1_0000_0000) >>> 0;
  let lo = offset >>> 0;
  for (let k = 7; k >= 0; k--, hi >>>= 4) out[p + k] = HEX_UPPER[hi & 15]!;
  for (let k = 15; k >= 8; k--, lo >>>= 4) out[p + k] = HEX_UPPER[lo & 15]!;
  return out.toString('latin1', 0, p + 16);
}

/** Splits a pull/query body (records back to back) into decoded messages. */
export function decodeMessages(b: Buffer): StoredMessage[] {
  const out: StoredMessage[] = [];
  for (let p = 0; p + 4 <= b.length; ) {
    const size = b.readInt32BE(p);
    if (size <= 0 || p + size > b.length) break;
    out.push(decodeMessage(b, p));
    p += size;
  }
  return out;
}

export function hostToString(ip: Buffer, port: number): string {
  return ipToString(ip, 0, ip.length) + ':' + port;
}

/**
 * hostToString of a BORNHOST or STOREHOST field as it lies in a record (`len` 8 or 20: address,
 * then port): no Buffer view per field, of which decoding made two for every consumed message.
 */
function hostAt(b: Buffer, at: number, len: number): string {
  return ipToString(b, at, len - 4) + ':' + b.readInt32BE(at + len - 4);
}

function ipToString(b: Buffer, at: number, len: number): string {
  if (len === 4) return `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;
  const parts: string[] = [];
  for (let i = 0; i < 16; i += 2) parts.push(b.readUInt16BE(at + i).toString(16));
  return `[${parts.join(':')}]`;
}

/** "a.b.c.d:port" or "[v6]:port" -> HostAddress. */
export function parseHostAddress(addr: string): HostAddress {
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(addr.trim());
  if (!m) throw new TypeError(`bad host address "${addr}" (expected ip:port)`);
  const host = m[1]!;
  const port = Number(m[2]);
  const v4 = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(host);
  if (v4) return { ip: Buffer.from(v4.slice(1, 5).map(Number)), port };
  const ip = Buffer.alloc(16);
  const [head, tail = ''] = host.includes('::') ? host.split('::') : [host, ''];
  const hs = head ? head.split(':') : [];
  const ts = tail ? tail.split(':') : [];
  const groups = [...hs, ...Array(8 - hs.length - ts.length).fill('0'), ...ts];
  if (groups.length !== 8) throw new TypeError(`bad IPv6 address "${host}"`);
  groups.forEach((g, i) => ip.writeUInt16BE(parseInt(g, 16), i * 2));
  return { ip, port };
}

const hostHexCache = new WeakMap<HostAddress, string>();

/** offsetMsgId = hex(store ip + int port + long commit log offset), uppercase (MessageDecoder.createMessageId). */
export function createOffsetMsgId(storeHost: HostAddress, offset: number): string {
  // The host part never changes for a store: hex it once, then only the offset per message.
  let host = hostHexCache.get(storeHost);
  if (host === undefined) {
    const b = Buffer.allocUnsafe(storeHost.ip.length + 4);
    storeHost.ip.copy(b, 0);
    b.writeInt32BE(storeHost.port, storeHost.ip.length);
    host = b.toString('hex').toUpperCase();
    hostHexCache.set(storeHost, host);
  }
  return host + offset.toString(16).toUpperCase().padStart(16, '0');
}

const HEX_UPPER = Buffer.from('0123456789ABCDEF', 'latin1');
const hostHexBytes = new WeakMap<HostAddress, Buffer>();
let idScratch = Buffer.allocUnsafe(4096);

/**
 * The offsetMsgIds of `count` records, comma-joined (a batch's SendResult): the same text as
 * joining createOffsetMsgId's, written as ASCII into one scratch buffer and read out as a single
 * string instead of four temporary strings per record.
 */
export function joinOffsetMsgIds(storeHost: HostAddress, offsets: readonly number[], count: number): string {
  let host = hostHexBytes.get(storeHost);
  if (host === undefined) {
    host = Buffer.from(createOffsetMsgId(storeHost, 0).slice(0, -16), 'latin1');
    hostHexBytes.set(storeHost, host);
  }
  const hl = host.length;
  const size = count * (hl + 17);
  if (idScratch.length < size) idScratch = Buffer.allocUnsafe(size);
  const b = idScratch;
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (i > 0) b[p++] = 0x2c;
    for (let k = 0; k < hl; k++) b[p + k] = host[k]!;
    p += hl;
    const off = offsets[i]!;
    let hi = Math.floor(off / 0x1_0000_0000) >>> 0;
    let lo = off >>> 0;
    for (let k = 7; k >= 0; k--, hi >>>= 4) b[p + k] = HEX_UPPER[hi & 15]!;
    for (let k = 15; k >= 8; k--, lo >>>= 4) b[p + k] = HEX_UPPER[lo & 15]!;
    p += 16;
  }
  return b.toString('latin1', 0, p);
}

export function decodeOffsetMsgId(id: string): { address: string; offset: number } {
  if (!/^[0-9A-Fa-f]+$/.test(id) || (id.length !== 32 && id.length !== 56)) {
    throw new TypeError(`bad message id "${id}" (expected 32 or 56 hex digits)`);
  }
  const b = Buffer.from(id, 'hex');
  const ipLen = b.length - 12;
  return { address: hostToString(b.subarray(0, ipLen), b.readInt32BE(ipLen)), offset: readLong(b, ipLen + 4) };
}
