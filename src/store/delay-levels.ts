import { StoreError } from './errors.js';

/** The topic delayed messages wait in, one queue per level (RocketMQ's RMQ_SYS_SCHEDULE_TOPIC). */
export const SCHEDULE_TOPIC = 'SCHEDULE_TOPIC_XXXX';

/** `messageDelayLevel` ("1s 5s ... 2h") -> delay in ms per level (index 0 = level 1); `ms` is ours (tests). */
export function parseDelayLevels(text: string): number[] {
  const unit: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
  const out: number[] = [];
  for (const item of text.trim().split(/\s+/)) {
    const m = /^(\d+)(ms|[smhd])$/.exec(item);
    if (!m) throw new StoreError('BAD_CONFIG', `config key "messageDelayLevel": bad level "${item}" (expected e.g. 5s, 1m, 2h)`);
    out.push(Number(m[1]) * unit[m[2]!]!);
  }
  return out;
}

/**
 * The consume queue tag code of a record in SCHEDULE_TOPIC_XXXX: its delivery time, store time
 * plus the delay of its level (clamped to the highest level), as RocketMQ computes it on
 * dispatch; undefined when the record has no usable level (it then keeps its tags' hash).
 */
export function deliverTimestamp(levels: readonly number[], level: string | undefined, storeTimestamp: number): number | undefined {
  if (level === undefined || !/^\d+$/.test(level)) return undefined;
  const l = Math.min(Number(level), levels.length);
  return l > 0 ? storeTimestamp + levels[l - 1]! : undefined;
}
