import { ResponseCode } from '../codes.js';
import { BrokerError } from './broker-error.js';

/**
 * Typed reads of a request's extFields, as RocketMQ's decodeCommandCustomHeader does: every value
 * arrives as text (ali-ons sends JSON numbers and booleans, which the codec turns into text too),
 * a missing required field or an unparsable number is refused with SYSTEM_ERROR naming the field.
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

function toNumber(name: string, s: string): number {
  const n = Number(s);
  if (s.trim() === '' || !Number.isFinite(n) || !Number.isInteger(n)) {
    throw new BrokerError(ResponseCode.SYSTEM_ERROR, `the custom field <${name}> is not a number: ${JSON.stringify(s)}`);
  }
  return n;
}

export function reqNumber(h: ExtFields, name: string): number {
  return toNumber(name, raw(h, name) ?? missing(name));
}

export function optNumber(h: ExtFields, name: string, dflt: number): number;
export function optNumber(h: ExtFields, name: string): number | undefined;
export function optNumber(h: ExtFields, name: string, dflt?: number): number | undefined {
  const s = raw(h, name);
  return s === undefined || s === '' ? dflt : toNumber(name, s);
}

/** Java's Boolean.parseBoolean: "true" in any case is true, anything else false. */
export function optBool(h: ExtFields, name: string, dflt = false): boolean {
  const s = raw(h, name);
  return s === undefined ? dflt : s.toLowerCase() === 'true';
}
