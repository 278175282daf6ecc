/** A queue as clients name it in lock requests. */
export interface MessageQueueRef {
  topic: string;
  brokerName: string;
  queueId: number;
}

interface LockEntry {
  clientId: string;
  lastUpdate: number;
}

/**
 * Queue locks of orderly consumers (RocketMQ's RebalanceLockManager): within a group, a queue is
 * held by one client until it unlocks or stops renewing for `maxLiveMs` (RocketMQ: 60 s, system
 * property rocketmq.broker.rebalance.lockMaxLiveTime). Single-threaded (event loop).
 */
export class RebalanceLockManager {
  private readonly groups = new Map<string, Map<string, LockEntry>>();

  constructor(private readonly maxLiveMs = 60_000) {}

  /** Locks (or renews) what it can; returns the queues now held by `clientId`. */
  tryLockBatch(group: string, mqs: readonly MessageQueueRef[], clientId: string, now = Date.now()): MessageQueueRef[] {
    let table = this.groups.get(group);
    if (!table) this.groups.set(group, (table = new Map()));
    const locked: MessageQueueRef[] = [];
    for (const mq of mqs) {
      const key = keyOf(mq);
      const e = table.get(key);
      if (!e || e.clientId === clientId || now - e.lastUpdate > this.maxLiveMs) {
        table.set(key, { clientId, lastUpdate: now });
        locked.push(mq);
      }
    }
    return locked;
  }

  unlockBatch(group: string, mqs: readonly MessageQueueRef[], clientId: string): void {
    const table = this.groups.get(group);
    if (!table) return;
    for (const mq of mqs) {
      const key = keyOf(mq);
      if (table.get(key)?.clientId === clientId) table.delete(key);
    }
    if (table.size === 0) this.groups.delete(group);
  }
}

function keyOf(mq: MessageQueueRef): string {
  return `${mq.topic}\u0001${mq.brokerName}\u0001${mq.queueId}`;
}
