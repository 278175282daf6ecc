/**
 * Broker counters for GET_BROKER_RUNTIME_INFO (RocketMQ's StoreStatsService and BrokerStats,
 * reduced to what clients read). Rates are computed over 10 s / 60 s / 600 s windows from one
 * sample per second; until a window has filled, the oldest sample (boot, all zero) stands in, so
 * the broker answers with sensible numbers from its first second (RocketMQ answers SYSTEM_ERROR).
 */
const WINDOWS_S = [10, 60, 600] as const;
const RING = 601;

interface Sample {
  t: number;
  put: number;
  getFound: number;
  getMiss: number;
  getTransferred: number;
}

export class BrokerStats {
  readonly bootTimestamp = Date.now();
  putMessages = 0;
  putBytes = 0;
  putRequests = 0;
  getFound = 0;
  getMiss = 0;
  getTransferred = 0;
  putFailures = 0;
  private readonly putLatencies = new Float64Array(1024);
  private putLatencyCount = 0;
  private readonly ring: Sample[] = [];
  private ringStart = 0;
  private timer: NodeJS.Timeout | null = null;
  private dayStart = startOfDay(Date.now());
  private putAtDayStart = 0;
  private getAtDayStart = 0;
  private putYesterday = 0;
  private getYesterday = 0;

  constructor() {
    this.sample();
  }

  start(): void {
    this.timer = setInterval(() => this.sample(), 1000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  recordPut(msgs: number, bytes: number, latencyMs: number): void {
    this.putMessages += msgs;
    this.putBytes += bytes;
    this.putRequests++;
    this.putLatencies[this.putLatencyCount++ & 1023] = latencyMs;
  }

  recordGet(found: boolean, transferred: number): void {
    if (found) this.getFound++;
    else this.getMiss++;
    this.getTransferred += transferred;
  }

  /** "rate10 rate60 rate600" for one counter, as RocketMQ formats getPutTps. */
  private rates(pick: (s: Sample) => number, now: Sample): string {
    return WINDOWS_S.map((w) => {
      const old = this.sampleAtOrBefore(now.t - w * 1000);
      const dt = (now.t - old.t) / 1000;
      return (dt > 0 ? (pick(now) - pick(old)) / dt : 0).toFixed(2);
    }).join(' ');
  }

  private sampleAtOrBefore(t: number): Sample {
    let best = this.ring[this.ringStart]!;
    for (let i = 0; i < this.ring.length; i++) {
      const s = this.ring[(this.ringStart + i) % this.ring.length]!;
      if (s.t <= t) best = s;
      else break;
    }
    return best;
  }

  private current(): Sample {
    return { t: Date.now(), put: this.putMessages, getFound: this.getFound, getMiss: this.getMiss, getTransferred: this.getTransferred };
  }

  private sample(): void {
    const s = this.current();
    const day = startOfDay(s.t);
    if (day !== this.dayStart) {
      this.putYesterday = s.put - this.putAtDayStart;
      this.getYesterday = s.getTransferred - this.getAtDayStart;
      this.putAtDayStart = s.put;
      this.getAtDayStart = s.getTransferred;
      this.dayStart = day;
    }
    if (this.ring.length < RING) this.ring.push(s);
    else {
      this.ring[this.ringStart] = s;
      this.ringStart = (this.ringStart + 1) % RING;
    }
  }

  private percentile(p: number): number {
    const n = Math.min(this.putLatencyCount, 1024);
    if (n === 0) return 0;
    const sorted = Array.from(this.putLatencies.subarray(0, n)).sort((a, b) => a - b);
    return sorted[Math.min(n - 1, Math.floor(n * p))]!;
  }

  /** The broker-side part of the runtime info KVTable. */
  table(): Record<string, string> {
    const now = this.current();
    const getTotal = (s: Sample) => s.getFound + s.getMiss;
    return {
      bootTimestamp: String(this.bootTimestamp),
      runtime: runtimeText(now.t - this.bootTimestamp),
      putTps: this.rates((s) => s.put, now),
      getFoundTps: this.rates((s) => s.getFound, now),
      getMissTps: this.rates((s) => s.getMiss, now),
      getTotalTps: this.rates(getTotal, now),
      getTransferedTps: this.rates((s) => s.getTransferred, now),
      msgPutTotalTodayNow: String(now.put - this.putAtDayStart),
      msgGetTotalTodayNow: String(now.getTransferred - this.getAtDayStart),
      msgPutTotalTodayMorning: String(this.putAtDayStart),
      msgGetTotalTodayMorning: String(this.getAtDayStart),
      msgPutTotalYesterdayMorning: String(Math.max(0, this.putAtDayStart - this.putYesterday)),
      msgGetTotalYesterdayMorning: String(Math.max(0, this.getAtDayStart - this.getYesterday)),
      putMessageTimesTotal: String(this.putRequests),
      putMessageSizeTotal: String(this.putBytes),
      putMessageFailedTimes: String(this.putFailures),
      putLatency99: this.percentile(0.99).toFixed(3),
      putLatency999: this.percentile(0.999).toFixed(3),
    };
  }
}

function startOfDay(t: number): number {
  const d = new Date(t);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

/** RocketMQ's "[ 0 days, 0 hours, 1 minutes, 5 seconds ]". */
function runtimeText(ms: number): string {
  const s = Math.floor(ms / 1000);
  return `[ ${Math.floor(s / 86400)} days, ${Math.floor((s % 86400) / 3600)} hours, ${Math.floor((s % 3600) / 60)} minutes, ${s % 60} seconds ]`;
}
