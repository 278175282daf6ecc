import { StoreError } from './errors.js';

/**
 * `deleteWhen`: the hours of the day (local time, 0-23) at which expired commit log files are
 * deleted, separated by `;` ("04", "04;16"), compared as integers as RocketMQ's
 * UtilAll.isItTimeToDo does. Ours: "*" matches every hour, so expiry alone decides (tests, and
 * stores that want files gone as soon as they expire). RocketMQ fails at its first clean pass on
 * a value that is not a number; here it is a BAD_CONFIG error when the config is read.
 */
export function parseDeleteWhen(when: string): { everyHour: boolean; hours: ReadonlySet<number> } {
  const hours = new Set<number>();
  let everyHour = false;
  for (const raw of when.split(';')) {
    const part = raw.trim();
    if (part === '') continue;
    if (part === '*') {
      everyHour = true;
      continue;
    }
    const h = /^\d{1,2}$/.test(part) ? Number(part) : NaN;
    if (!(h >= 0 && h <= 23)) {
      throw new StoreError('BAD_CONFIG', `config key "deleteWhen": bad value ${JSON.stringify(when)} (expected hours 0-23 separated by ';', or '*')`);
    }
    hours.add(h);
  }
  return { everyHour, hours };
}

/** Whether `now` falls in one of the `deleteWhen` hours. */
export function isTimeToDelete(when: string, now: Date): boolean {
  const w = parseDeleteWhen(when);
  return w.everyHour || w.hours.has(now.getHours());
}
