/**
 * Java's Integer.parseInt / Long.parseLong grammar for numbers that arrive as text (header
 * extFields): an optional sign and decimal digits, in range, nothing else. `Number()` alone also
 * takes "1e300", "0x10", " 7 " and "1.0", values Java refuses; "1e300" kept as a map key is
 * written as the bare key 1e+300, which no JSON reader (ours or fastjson) reads back.
 * Both return undefined for text Java would refuse; callers raise their own typed error.
 */
const DECIMAL = /^[+-]?\d+$/;
export const JAVA_INT_MIN = -(2 ** 31);
export const JAVA_INT_MAX = 2 ** 31 - 1;
const LONG_MIN = -(2n ** 63n);
const LONG_MAX = 2n ** 63n - 1n;

export function parseJavaInt(s: string): number | undefined {
  if (!DECIMAL.test(s)) return undefined;
  const n = Number(s);
  return n < JAVA_INT_MIN || n > JAVA_INT_MAX ? undefined : n;
}

/**
 * A Java long. Beyond 2^53 a double cannot hold it exactly: it is clamped to ±MAX_SAFE_INTEGER
 * (clients send Long.MAX_VALUE as "no end time"), so a value we keep and write back is always
 * one Java reads as a long.
 */
export function parseJavaLong(s: string): number | undefined {
  if (!DECIMAL.test(s)) return undefined;
  // Up to 15 characters a double holds the value exactly, far inside the long range: no BigInt
  // on the hot path (every send carries a bornTimestamp).
  if (s.length <= 15) return Number(s);
  const big = BigInt(s);
  if (big < LONG_MIN || big > LONG_MAX) return undefined;
  return Math.max(-Number.MAX_SAFE_INTEGER, Math.min(Number.MAX_SAFE_INTEGER, Number(big)));
}

/** A JSON value as a Java int field: an integral number in int range (fastjson also takes numeric text). */
export function jsonJavaInt(v: unknown): number | undefined {
  if (typeof v === 'string') return parseJavaInt(v);
  return typeof v === 'number' && Number.isInteger(v) && v >= JAVA_INT_MIN && v <= JAVA_INT_MAX ? v : undefined;
}

/** A JSON value as a Java long field (clamped to the safe range, as parseJavaLong). */
export function jsonJavaLong(v: unknown): number | undefined {
  if (typeof v === 'string') return parseJavaLong(v);
  if (typeof v !== 'number' || !Number.isInteger(v) || Math.abs(v) > 2 ** 63) return undefined;
  return Math.max(-Number.MAX_SAFE_INTEGER, Math.min(Number.MAX_SAFE_INTEGER, v));
}

/**
 * A double as Java's Double.toString writes it ("1178.0", "0.5", "1.0E7", "NaN"), for values
 * RocketMQ's brokers report through String.valueOf(double).
 */
export function javaDoubleString(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? 'Infinity' : '-Infinity';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const a = Math.abs(x);
  if (a >= 1e-3 && a < 1e7) {
    const s = String(x);
    return s.includes('.') ? s : `${s}.0`;
  }
  const [mantissa, exp] = x.toExponential().split('e');
  return `${mantissa!.includes('.') ? mantissa : `${mantissa}.0`}E${Number(exp)}`;
}
