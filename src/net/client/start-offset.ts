import type { ClientInstance } from './client-instance.js';
import type { ConsumerConfig } from './client-config.js';
import type { MessageQueue } from './message-queue.js';
import { isRetryTopic } from './names.js';
import type { OffsetStore } from './offset-store.js';

/**
 * Where a newly assigned queue starts (RebalancePushImpl.computePullFromWhere): the group's
 * committed offset if the broker has one; otherwise by consumeFromWhere: LAST = the queue's max
 * offset, FIRST = 0, TIMESTAMP = the first message stored at or after consumeTimestamp. A retry
 * topic always starts from the beginning (LAST/FIRST) or the end (TIMESTAMP), as Java does.
 *
 * Note the broker answers a committed offset of 0 (not "none") for a group it does not know while
 * the queue still holds its first message, so a brand-new group on a fresh topic reads from 0
 * even with CONSUME_FROM_LAST_OFFSET.
 */
export async function resolveStartOffset(inst: ClientInstance, offsets: OffsetStore, mq: MessageQueue, cfg: ConsumerConfig): Promise<number> {
  const committed = await offsets.readOffset(mq, 'READ_FROM_STORE');
  if (committed >= 0) return committed;
  const retry = isRetryTopic(mq.topic);
  switch (cfg.consumeFromWhere) {
    case 'CONSUME_FROM_FIRST_OFFSET':
      return 0;
    case 'CONSUME_FROM_TIMESTAMP': {
      const addr = await inst.requireMasterAddr(mq.topic, mq.brokerName);
      if (retry) return inst.api.getMaxOffset(addr, mq.topic, mq.queueId);
      return inst.api.searchOffset(addr, mq.topic, mq.queueId, parseConsumeTimestamp(cfg.consumeTimestamp));
    }
    default: {
      if (retry) return 0;
      const addr = await inst.requireMasterAddr(mq.topic, mq.brokerName);
      return inst.api.getMaxOffset(addr, mq.topic, mq.queueId);
    }
  }
}

/** `yyyyMMddHHmmss` local time (UtilAll.parseDate); empty = 30 minutes ago, as Java's default. */
export function parseConsumeTimestamp(s: string, now = Date.now()): number {
  if (s === '') return now - 30 * 60_000;
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(s);
  if (!m) throw new TypeError(`bad consumeTimestamp "${s}" (expected yyyyMMddHHmmss)`);
  const [y, mo, d, h, mi, se] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  return new Date(y, mo - 1, d, h, mi, se).getTime();
}
