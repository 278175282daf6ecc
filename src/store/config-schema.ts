import { StoreError } from './errors.js';

/**
 * Typed configuration from string key/value pairs. A schema is just the defaults object: each
 * key's default value fixes its type (number, boolean, string); `choices` restricts strings.
 * Unknown keys are reported through `warn` (naming the key); a bad value is a BAD_CONFIG error
 * naming the key and the value. Numbers are counts, sizes, ports or durations, so a negative one is
 * bad; `ranges` narrows keys further (a zero size or timeout starts a broker that fails every
 * request, or a timer that never waits). Shared by the store, broker and NameServer configs.
 */
export interface SchemaOptions {
  /** Allowed values for string keys. */
  choices?: Record<string, readonly string[]>;
  /** Keys that must be integers (numbers default to accepting decimals only if listed in `decimals`). */
  decimals?: readonly string[];
  /** Inclusive [min, max] for number keys (default min 0, no max). */
  ranges?: Record<string, readonly [number, number?]>;
}

export function applyConfig<T extends object>(
  defaults: T,
  props: Map<string, string> | Record<string, string | number | boolean>,
  opts: SchemaOptions & { warn?: (msg: string) => void; alsoKnown?: ReadonlySet<string> } = {},
): T {
  const out = { ...defaults } as Record<string, unknown>;
  const entries = props instanceof Map ? [...props.entries()] : Object.entries(props);
  for (const [key, raw] of entries) {
    if (!(key in defaults)) {
      if (!opts.alsoKnown?.has(key)) opts.warn?.(`unknown config key "${key}" ignored`);
      continue;
    }
    out[key] = coerce(key, (defaults as Record<string, unknown>)[key], raw, opts);
  }
  return out as T;
}

function coerce(key: string, def: unknown, raw: string | number | boolean, opts: SchemaOptions): unknown {
  const bad = (why: string): never => {
    throw new StoreError('BAD_CONFIG', `config key "${key}": bad value ${JSON.stringify(raw)} (${why})`);
  };
  if (typeof def === 'number') {
    let n: number;
    if (typeof raw === 'number') n = raw;
    else {
      if (typeof raw !== 'string' || !/^-?\d+(\.\d+)?$/.test(raw)) bad('expected a number');
      n = Number(raw);
      if (!opts.decimals?.includes(key) && !Number.isInteger(n)) bad('expected an integer');
    }
    if (!Number.isSafeInteger(Math.trunc(n))) bad('out of range');
    const [min, max] = opts.ranges?.[key] ?? [0];
    if (n < min) bad(`must be at least ${min}`);
    if (max !== undefined && n > max) bad(`must be at most ${max}`);
    return n;
  }
  if (typeof def === 'boolean') {
    if (typeof raw === 'boolean') return raw;
    if (raw === 'true') return true;
    if (raw === 'false') return false;
    return bad('expected true or false');
  }
  const s = String(raw);
  const choices = opts.choices?.[key];
  if (choices && !choices.includes(s)) bad(`expected one of ${choices.join(', ')}`);
  return s;
}
