import { ResponseCode } from '../codes.js';
import { BrokerError } from './broker-error.js';

/**
 * Typed reads of a request's extFields, as RocketMQ's decodeCommandCustomHeader does: every value
 * arrives as text (ali-ons sends JSON numbers and booleans, which the codec turns into text too),
 * a missing required field or a number Java would not parse as the field's int or long is refused
 * with SYSTEM_ERROR naming the field.
 */
export type ExtFields = Readonly<Record<string, unknown>>;

function raw(h: ExtFields, name: string): string | undefined {
  const v = h[name];
  if (v === undefined || v === null) return undefined;
  return typeof v === 'string' ? v : String(v);
}

function missing(name: string): never {
  throw new BrokerError(ResponseCode.SYSTEM_ERROR, `the custom field <${name}> is null`);
}

export function reqString(h: ExtFields, name: string): string {
  return raw(h, name) ?? missing(name);
}

export function optString(h: ExtFields, name: string): string | undefined {
  return raw(h, name);
}

/**
 * Java's Integer.parseInt / Long.parseLong grammar: an optional sign and decimal digits, nothing
 * else. Number() alone also takes "1e300", "0x10", " 7 " and "1.0": values Java refuses, and a
 * queue id of 1e300 written as a bare map key ("1e+300") made consumerOffset.json unreadable, so
 * the broker could not start again.
 */
const DECIMAL = /^[+-]?\d+$/;
const INT_MIN = -(2 ** 31);
const INT_MAX = 2 ** 31 - 1;
const LONG_MIN = -(2n ** 63n);
const LONG_MAX = 2n ** 63n - 1n;

function notNumber(name: string, s: string, what: string): never {
  throw new BrokerError(ResponseCode.SYSTEM_ERROR, `the custom field <${name}> is not ${what}: ${JSON.stringify(s.length > 64 ? `${s.slice(0, 64)}...` : s)}`);
}

/** A Java int (32 bits): the wire type of queue ids, counts, flags and levels. */
function toInt(name: string, s: string): number {
  if (!DECIMAL.test(s)) notNumber(name, s, 'an int');
  const n = Number(s);
  if (n < INT_MIN || n > INT_MAX) notNumber(name, s, 'an int');
  return n;
}

/**
 * A Java long (64 bits): offsets and timestamps. Beyond 2^53 a double cannot hold it exactly; it
 * is clamped to ±MAX_SAFE_INTEGER (clients send Long.MAX_VALUE as "no end time"), so a value we
 * keep and write back never exceeds what Java reads as a long.
 */
function toLong(name: string, s: string): number {
  if (!DECIMAL.test(s)) notNumber(name, s, 'a long');
  const big = BigInt(s);
  if (big < LONG_MIN || big > LONG_MAX) notNumber(name, s, 'a long');
  return Math.max(-Number.MAX_SAFE_INTEGER, Math.min(Number.MAX_SAFE_INTEGER, Number(big)));
}

export function reqInt(h: ExtFields, name: string): number {
  return toInt(name, raw(h, name) ?? missing(name));
}

export function reqLong(h: ExtFields, name: string): number {
  return toLong(name, raw(h, name) ?? missing(name));
}

export function optInt(h: ExtFields, name: string, dflt: number): number;
export function optInt(h: ExtFields, name: string): number | undefined;
export function optInt(h: ExtFields, name: string, dflt?: number): number | undefined {
  const s = raw(h, name);
  return s === undefined || s === '' ? dflt : toInt(name, s);
}

export function optLong(h: ExtFields, name: string, dflt: number): number;
export function optLong(h: ExtFields, name: string): number | undefined;
export function optLong(h: ExtFields, name: string, dflt?: number): number | undefined {
  const s = raw(h, name);
  return s === undefined || s === '' ? dflt : toLong(name, s);
}

/** Java's Boolean.parseBoolean: "true" in any case is true, anything else false. */
export function optBool(h: ExtFields, name: string, dflt = false): boolean {
  const s = raw(h, name);
  return s === undefined ? dflt : s.toLowerCase() === 'true';
}
