import { ResponseCode } from '../codes.js';
import { BrokerError } from './broker-error.js';
import { parseJavaInt, parseJavaLong } from '../java-number.js';

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

function notNumber(name: string, s: string, what: string): never {
  throw new BrokerError(ResponseCode.SYSTEM_ERROR, `the custom field <${name}> is not ${what}: ${JSON.stringify(s.length > 64 ? `${s.slice(0, 64)}...` : s)}`);
}

/** A Java int (32 bits): the wire type of queue ids, counts, flags and levels. */
function toInt(name: string, s: string): number {
  return parseJavaInt(s) ?? notNumber(name, s, 'an int');
}

/** A Java long (64 bits): offsets and timestamps (see parseJavaLong for values beyond 2^53). */
function toLong(name: string, s: string): number {
  return parseJavaLong(s) ?? notNumber(name, s, 'a long');
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
