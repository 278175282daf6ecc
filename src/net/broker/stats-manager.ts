/**
 * Per-topic and per-group traffic counters (RocketMQ's BrokerStatsManager and StatsItem), read by
 * VIEW_BROKER_STATS_DATA: mqadmin statsAll, rocketmq-exporter and the dashboard ask for
 * TOPIC_PUT_NUMS by topic, GROUP_GET_NUMS by `topic@group`, BROKER_PUT_NUMS by cluster name.
 *
 * Each item keeps a running sum and count, and snapshots of both: every 10 s (the last 7, one
 * minute), every 10 min (the last 7, one hour) and every hour (the last 25, one day). A window's
 * figures are last minus first snapshot: sum, tps = sum per second, avgpt = sum per count. One
 * difference from RocketMQ: the newest snapshot is taken at the moment of the query, so a window
 * includes the last seconds instead of ending at the last timer tick.
 */
export const STATS = {
  TOPIC_PUT_NUMS: 'TOPIC_PUT_NUMS',
  TOPIC_PUT_SIZE: 'TOPIC_PUT_SIZE',
  GROUP_GET_NUMS: 'GROUP_GET_NUMS',
  GROUP_GET_SIZE: 'GROUP_GET_SIZE',
  SNDBCK_PUT_NUMS: 'SNDBCK_PUT_NUMS',
  BROKER_PUT_NUMS: 'BROKER_PUT_NUMS',
  BROKER_GET_NUMS: 'BROKER_GET_NUMS',
} as const;

interface Snapshot {
  ts: number;
  times: number;
  value: number;
}

export interface StatsWindow {
  sum: number;
  tps: number;
  avgpt: number;
}

/** BrokerStatsData, as VIEW_BROKER_STATS_DATA answers it. */
export interface BrokerStatsData {
  statsMinute: StatsWindow;
  statsHour: StatsWindow;
  statsDay: StatsWindow;
}

const MINUTE = { periodMs: 10_000, keep: 7 };
const HOUR = { periodMs: 600_000, keep: 7 };
const DAY = { periodMs: 3_600_000, keep: 25 };
type Window = typeof MINUTE;
const WINDOWS = { minute: MINUTE, hour: HOUR, day: DAY } as const;

class StatsItem {
  value = 0;
  times = 0;
  // Each list starts with a zero snapshot one period back, as RocketMQ's do.
  readonly minute: Snapshot[];
  readonly hour: Snapshot[];
  readonly day: Snapshot[];

  constructor(now: number) {
    this.minute = [{ ts: now - MINUTE.periodMs, times: 0, value: 0 }];
    this.hour = [{ ts: now - HOUR.periodMs, times: 0, value: 0 }];
    this.day = [{ ts: now - DAY.periodMs, times: 0, value: 0 }];
  }

  sample(list: Snapshot[], w: Window, now: number): void {
    list.push({ ts: now, times: this.times, value: this.value });
    if (list.length > w.keep) list.shift();
  }

  window(list: Snapshot[], now: number): StatsWindow {
    const first = list[0]!;
    const sum = this.value - first.value;
    const ms = now - first.ts;
    const times = this.times - first.times;
    return { sum, tps: ms > 0 ? (sum * 1000) / ms : 0, avgpt: times > 0 ? sum / times : 0 };
  }
}

export class BrokerStatsManager {
  private readonly sets = new Map<string, Map<string, StatsItem>>();
  private readonly timers: NodeJS.Timeout[] = [];

  start(): void {
    for (const which of ['minute', 'hour', 'day'] as const) {
      const t = setInterval(() => this.sample(which), WINDOWS[which].periodMs);
      t.unref();
      this.timers.push(t);
    }
  }

  /** Takes one snapshot of every item for a window (the timers' work; tests call it with a clock). */
  sample(which: keyof typeof WINDOWS, now = Date.now()): void {
    for (const set of this.sets.values()) for (const item of set.values()) item.sample(item[which], WINDOWS[which], now);
  }

  stop(): void {
    for (const t of this.timers.splice(0)) clearInterval(t);
  }

  add(name: string, key: string, value: number, times = 1, now = Date.now()): void {
    let set = this.sets.get(name);
    if (!set) this.sets.set(name, (set = new Map()));
    let item = set.get(key);
    if (!item) set.set(key, (item = new StatsItem(now)));
    item.value += value;
    item.times += times;
  }

  /** A stored batch of `msgs` messages, `bytes` of bodies, on `topic`. */
  putOk(topic: string, cluster: string, msgs: number, bytes: number): void {
    this.add(STATS.TOPIC_PUT_NUMS, topic, msgs);
    this.add(STATS.TOPIC_PUT_SIZE, topic, bytes);
    this.add(STATS.BROKER_PUT_NUMS, cluster, msgs);
  }

  /** A pull that found `msgs` messages of `bytes` for `group`. */
  got(group: string, topic: string, cluster: string, msgs: number, bytes: number): void {
    const key = `${topic}@${group}`;
    this.add(STATS.GROUP_GET_NUMS, key, msgs);
    this.add(STATS.GROUP_GET_SIZE, key, bytes);
    this.add(STATS.BROKER_GET_NUMS, cluster, msgs);
  }

  view(name: string, key: string, now = Date.now()): BrokerStatsData | null {
    const item = this.sets.get(name)?.get(key);
    if (!item) return null;
    return { statsMinute: item.window(item.minute, now), statsHour: item.window(item.hour, now), statsDay: item.window(item.day, now) };
  }
}
