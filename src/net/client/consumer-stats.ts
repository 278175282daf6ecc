/**
 * A push consumer's per-topic figures for ConsumerRunningInfo's statusTable (RocketMQ's
 * ConsumerStatsManager): pull RT and TPS, consume RT, OK and failed TPS over the last minute, and
 * failed messages over the last hour. Counts go into fixed rings of time buckets (60 of a second,
 * 60 of a minute): bounded memory, nothing allocated per message.
 */

/** RocketMQ's ConsumeStatus (one topic's rates), as it serializes it. */
export interface TopicConsumeStatus {
  pullRT: number;
  pullTPS: number;
  consumeRT: number;
  consumeOKTPS: number;
  consumeFailedTPS: number;
  consumeFailedMsgs: number;
}

class Window {
  private readonly counts: Float64Array;
  private readonly sums: Float64Array;
  private readonly slots: Float64Array;

  constructor(
    private readonly buckets: number,
    private readonly bucketMs: number,
  ) {
    this.counts = new Float64Array(buckets);
    this.sums = new Float64Array(buckets);
    this.slots = new Float64Array(buckets).fill(-1);
  }

  add(now: number, count: number, sum = 0): void {
    const slot = Math.floor(now / this.bucketMs);
    const i = slot % this.buckets;
    if (this.slots[i] !== slot) {
      this.slots[i] = slot;
      this.counts[i] = 0;
      this.sums[i] = 0;
    }
    this.counts[i] += count;
    this.sums[i] += sum;
  }

  /** Count and sum over the whole window ending now. */
  totals(now: number): { count: number; sum: number } {
    const newest = Math.floor(now / this.bucketMs);
    let count = 0;
    let sum = 0;
    for (let i = 0; i < this.buckets; i++) {
      if (this.slots[i]! > newest - this.buckets) {
        count += this.counts[i]!;
        sum += this.sums[i]!;
      }
    }
    return { count, sum };
  }
}

interface TopicStats {
  pulls: Window;
  pulledMsgs: Window;
  consumes: Window;
  okMsgs: Window;
  failedMsgs: Window;
  failedHour: Window;
}

const MINUTE_MS = 60_000;

export class ConsumerStats {
  private readonly topics = new Map<string, TopicStats>();

  private of(topic: string): TopicStats {
    let s = this.topics.get(topic);
    if (!s) {
      const minute = (): Window => new Window(60, 1000);
      s = { pulls: minute(), pulledMsgs: minute(), consumes: minute(), okMsgs: minute(), failedMsgs: minute(), failedHour: new Window(60, MINUTE_MS) };
      this.topics.set(topic, s);
    }
    return s;
  }

  pulled(topic: string, rtMs: number, msgs: number, now = Date.now()): void {
    const s = this.of(topic);
    s.pulls.add(now, 1, rtMs);
    s.pulledMsgs.add(now, msgs);
  }

  consumed(topic: string, rtMs: number, msgs: number, ok: boolean, now = Date.now()): void {
    const s = this.of(topic);
    s.consumes.add(now, 1, rtMs);
    if (ok) s.okMsgs.add(now, msgs);
    else {
      s.failedMsgs.add(now, msgs);
      s.failedHour.add(now, msgs);
    }
  }

  status(topic: string, now = Date.now()): TopicConsumeStatus {
    const s = this.of(topic);
    const rt = (w: Window): number => {
      const t = w.totals(now);
      return t.count === 0 ? 0 : t.sum / t.count;
    };
    const tps = (w: Window): number => w.totals(now).count / 60;
    return {
      pullRT: rt(s.pulls),
      pullTPS: tps(s.pulledMsgs),
      consumeRT: rt(s.consumes),
      consumeOKTPS: tps(s.okMsgs),
      consumeFailedTPS: tps(s.failedMsgs),
      consumeFailedMsgs: s.failedHour.totals(now).count,
    };
  }
}
