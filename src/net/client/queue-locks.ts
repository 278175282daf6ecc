import { RequestCode } from '../codes.js';
import type { Logger } from '../logger.js';
import type { ClientInstance } from './client-instance.js';
import { errorMessage } from './errors.js';
import { parseBody } from './lenient-json.js';
import { mqKey, type MessageQueue } from './message-queue.js';

/** How long a broker lock is trusted without renewal (RebalanceImpl: REBALANCE_LOCK_MAX_LIVE_TIME). */
export const LOCK_MAX_LIVE_MS = 30_000;
/** How often held locks are renewed (REBALANCE_LOCK_INTERVAL); the broker's locks last 60 s. */
export const LOCK_RENEW_INTERVAL_MS = 20_000;

/** What an orderly consumer keeps per queue about its broker lock. */
export interface Lockable {
  readonly mq: MessageQueue;
  locked: boolean;
  lastLockTimestamp: number;
}

export function lockAlive(q: Lockable, now = Date.now()): boolean {
  return q.locked && now - q.lastLockTimestamp <= LOCK_MAX_LIVE_MS;
}

/**
 * An orderly push consumer's queue locks on the brokers (RebalanceImpl.lock / lockAll / unlock):
 * a queue is consumed in order by one client at a time, the one holding the broker's lock.
 * LOCK_BATCH_MQ answers the subset it granted.
 */
export class QueueLocks {
  constructor(
    private readonly inst: ClientInstance,
    private readonly group: string,
    private readonly logger: Logger,
  ) {}

  private body(mqs: readonly MessageQueue[]): Buffer {
    const mqSet = mqs.map((mq) => ({ brokerName: mq.brokerName, queueId: mq.queueId, topic: mq.topic }));
    return Buffer.from(JSON.stringify({ clientId: this.inst.clientId, consumerGroup: this.group, mqSet }));
  }

  /** Locks `mqs` (all of one broker) and returns the keys granted; none if the broker cannot be asked. */
  private async lockOn(brokerName: string, mqs: readonly MessageQueue[]): Promise<Set<string>> {
    const addr = this.inst.findBrokerAddrInPublish(brokerName);
    if (!addr) return new Set();
    try {
      const res = await this.inst.api.call(addr, RequestCode.LOCK_BATCH_MQ, `lock queues of ${this.group}`, undefined, this.body(mqs));
      const granted = (parseBody(res.body, addr) as { lockOKMQSet?: MessageQueue[] }).lockOKMQSet ?? [];
      return new Set(granted.map((m) => mqKey({ topic: String(m.topic), brokerName: String(m.brokerName), queueId: Number(m.queueId) })));
    } catch (err) {
      this.logger.warn('lock of %d queue(s) on %s for %s failed: %s', mqs.length, brokerName, this.group, errorMessage(err));
      return new Set();
    }
  }

  /** Locks one queue; true when this client holds it now. */
  async lock(q: Lockable): Promise<boolean> {
    const ok = (await this.lockOn(q.mq.brokerName, [q.mq])).has(mqKey(q.mq));
    this.mark(q, ok);
    return ok;
  }

  /** Renews every held queue's lock, broker by broker; a queue not granted is marked unlocked. */
  async lockAll(queues: Iterable<Lockable>): Promise<void> {
    const byBroker = new Map<string, Lockable[]>();
    for (const q of queues) {
      const list = byBroker.get(q.mq.brokerName) ?? [];
      list.push(q);
      byBroker.set(q.mq.brokerName, list);
    }
    for (const [broker, list] of byBroker) {
      const granted = await this.lockOn(broker, list.map((q) => q.mq));
      for (const q of list) this.mark(q, granted.has(mqKey(q.mq)));
    }
  }

  /** Gives a queue up (UNLOCK_BATCH_MQ), so another member may lock it at once instead of after expiry. */
  async unlock(mq: MessageQueue): Promise<void> {
    const addr = this.inst.findBrokerAddrInPublish(mq.brokerName);
    if (!addr) return;
    await this.inst.api.call(addr, RequestCode.UNLOCK_BATCH_MQ, `unlock ${mqKey(mq)}`, undefined, this.body([mq])).catch((err: unknown) => {
      this.logger.warn('unlock of %s for %s failed: %s', mqKey(mq), this.group, errorMessage(err));
    });
  }

  private mark(q: Lockable, ok: boolean): void {
    q.locked = ok;
    if (ok) q.lastLockTimestamp = Date.now();
  }
}
