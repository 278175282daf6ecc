import type { MessageQueue } from './message-queue.js';

/** MQFaultStrategy's steps: a send this slow (ms) keeps its broker out of rotation this long (ms). */
const LATENCY_MAX = [50, 100, 550, 1000, 2000, 3000, 15_000];
const NOT_AVAILABLE_DURATION = [0, 0, 30_000, 60_000, 120_000, 180_000, 600_000];

/** How long a broker is avoided after a send that took `latencyMs` (computeNotAvailableDuration). */
export function notAvailableDuration(latencyMs: number): number {
  for (let i = LATENCY_MAX.length - 1; i >= 0; i--) if (latencyMs >= LATENCY_MAX[i]!) return NOT_AVAILABLE_DURATION[i]!;
  return 0;
}

interface FaultItem {
  name: string;
  latency: number;
  /** When the broker is back in rotation. */
  availableAt: number;
}

/**
 * A producer's sendLatencyFaultEnable (MQFaultStrategy with LatencyFaultToleranceImpl): every send
 * attempt's latency is remembered per broker, a failure counting as 30 s; a broker whose last
 * send was slow is skipped by queue selection for a while (550 ms keeps it out 30 s, 15 s for
 * 10 minutes). When every broker is out, one of the less bad half is tried.
 */
export class LatencyFaultTolerance {
  private readonly items = new Map<string, FaultItem>();
  private worst = 0;

  update(brokerName: string, latencyMs: number, isolation: boolean, now = Date.now()): void {
    const duration = notAvailableDuration(isolation ? 30_000 : latencyMs);
    this.items.set(brokerName, { name: brokerName, latency: latencyMs, availableAt: now + duration });
  }

  isAvailable(brokerName: string, now = Date.now()): boolean {
    const item = this.items.get(brokerName);
    return item === undefined || now >= item.availableAt;
  }

  /** A broker to try when none is available: round robin over the better half (available first, then fastest, then soonest back). */
  pickOneAtLeast(now = Date.now()): string | undefined {
    const sorted = [...this.items.values()].sort((a, b) => {
      const [aa, ba] = [now >= a.availableAt, now >= b.availableAt];
      if (aa !== ba) return aa ? -1 : 1;
      return a.latency - b.latency || a.availableAt - b.availableAt;
    });
    if (sorted.length === 0) return undefined;
    const half = Math.floor(sorted.length / 2);
    return half <= 0 ? sorted[0]!.name : sorted[this.worst++ % half]!.name;
  }

  /**
   * MQFaultStrategy.selectOneMessageQueue: the next queue in rotation whose broker is available;
   * else a queue of the least bad broker; else plain rotation. `next` advances the rotation.
   */
  select(queues: readonly MessageQueue[], next: () => number, now = Date.now()): MessageQueue {
    const n = queues.length;
    for (let i = 0; i < n; i++) {
      const mq = queues[next() % n]!;
      if (this.isAvailable(mq.brokerName, now)) return mq;
    }
    const notBest = this.pickOneAtLeast(now);
    if (notBest !== undefined) {
      const ofBroker = queues.filter((q) => q.brokerName === notBest);
      if (ofBroker.length > 0) return ofBroker[next() % ofBroker.length]!;
      this.items.delete(notBest);
    }
    return queues[next() % n]!;
  }
}
