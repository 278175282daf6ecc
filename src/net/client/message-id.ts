import { localIPv4 } from './client-config.js';

/**
 * The client-side message id RocketMQ producers put in property UNIQ_KEY
 * (MessageClientIDSetter), 16 bytes written as 32 uppercase hex digits:
 *
 *   0  IPv4 address      4 bytes   of this host
 *   4  pid               2 bytes   low 16 bits
 *   6  classloader hash  4 bytes   a per-process random int here
 *  10  time             4 bytes   ms since the start of the current month (local time), low 32 bits
 *  14  counter          2 bytes   wraps at 65536
 *
 * The first 10 bytes never change within a process, so their hex is built once; each id costs a
 * string concatenation of 12 more hex digits.
 */
const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).toUpperCase().padStart(2, '0'));

let prefix = '';
let monthStart = 0;
let nextMonthStart = 0;
let counter = 0;

function buildPrefix(): string {
  const ip = localIPv4().split('.').map(Number);
  const pid = process.pid & 0xffff;
  const loaderHash = (Math.random() * 0x1_0000_0000) >>> 0;
  const bytes = [...ip, pid >>> 8, pid & 0xff, loaderHash >>> 24, (loaderHash >>> 16) & 0xff, (loaderHash >>> 8) & 0xff, loaderHash & 0xff];
  return bytes.map((b) => HEX[b & 0xff]).join('');
}

function resetMonth(now: number): void {
  const d = new Date(now);
  monthStart = new Date(d.getFullYear(), d.getMonth(), 1).getTime();
  nextMonthStart = new Date(d.getFullYear(), d.getMonth() + 1, 1).getTime();
}

/** A new UNIQ_KEY value. */
export function createUniqId(now: number = Date.now()): string {
  if (prefix === '') prefix = buildPrefix();
  if (now >= nextMonthStart || now < monthStart) resetMonth(now);
  const t = (now - monthStart) >>> 0;
  const c = counter;
  counter = (counter + 1) & 0xffff;
  return prefix + HEX[t >>> 24]! + HEX[(t >>> 16) & 0xff]! + HEX[(t >>> 8) & 0xff]! + HEX[t & 0xff]! + HEX[c >>> 8]! + HEX[c & 0xff]!;
}

/** Decoded parts of a UNIQ_KEY (MessageClientIDSetter.getIPFromID / getNearlyTimeFromID). */
export function parseUniqId(id: string): { ip: string; pid: number; timestamp: number; counter: number } {
  if (!/^[0-9A-F]{32}$/i.test(id)) throw new TypeError(`bad unique message id "${id}" (expected 32 hex digits)`);
  const b = Buffer.from(id, 'hex');
  const sinceMonth = b.readUInt32BE(10);
  const now = new Date();
  let start = new Date(now.getFullYear(), now.getMonth(), 1).getTime();
  // An id from last month decodes to a time in the future: step back one month (as Java does).
  if (start + sinceMonth > now.getTime() + 60_000) start = new Date(now.getFullYear(), now.getMonth() - 1, 1).getTime();
  return { ip: `${b[0]}.${b[1]}.${b[2]}.${b[3]}`, pid: b.readUInt16BE(4), timestamp: start + sinceMonth, counter: b.readUInt16BE(14) };
}
