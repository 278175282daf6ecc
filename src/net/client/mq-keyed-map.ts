import type { MessageQueue } from './message-queue.js';
import type { BrokerConsumeStats, ConsumeProgress } from './admin-types.js';
import { parseBody } from './lenient-json.js';

/**
 * The `offsetTable` of a broker's TopicStatsTable, ConsumeStats or ResetOffsetBody (or another
 * field: ConsumerRunningInfo's `mqTable`): fastjson
 * writes a map keyed by MessageQueue objects with the objects themselves as keys
 * (`{{"brokerName":"b","queueId":0,"topic":"T"}:…}`), which only a lenient parser reads.
 */
export function mqKeyedOffsetTable(body: Buffer | undefined, addr: string, field = 'offsetTable'): [MessageQueue, unknown][] {
  return mqKeyedEntries((parseBody(body, addr) as Record<string, unknown> | null)?.[field]);
}

/** A MessageQueue as fastjson writes it as a map key: the object itself, fields in order. */
export function mqJsonKey(mq: MessageQueue): string {
  return JSON.stringify({ brokerName: mq.brokerName, queueId: mq.queueId, topic: mq.topic });
}

/** `{{mq}:value,…}`: a MessageQueue-keyed map as fastjson writes it; values already JSON. */
export function mqKeyedJson(entries: Iterable<readonly [MessageQueue, string | number]>): string {
  const parts: string[] = [];
  for (const [mq, v] of entries) parts.push(`${mqJsonKey(mq)}:${v}`);
  return `{${parts.join(',')}}`;
}

/** A parsed MessageQueue-keyed map (a Map from parseLenientJson) as entries; anything else is none. */
export function mqKeyedEntries(table: unknown): [MessageQueue, unknown][] {
  if (!(table instanceof Map)) return [];
  const out: [MessageQueue, unknown][] = [];
  for (const [k, v] of table as Map<unknown, unknown>) {
    if (typeof k !== 'object' || k === null) continue;
    const key = k as Record<string, unknown>;
    const queueId = Number(key.queueId);
    out.push([{ topic: String(key.topic), brokerName: String(key.brokerName), queueId: Number.isFinite(queueId) ? queueId : 0 }, v]);
  }
  return out;
}

/** ConsumeStatsList (GET_BROKER_CONSUME_STATS): per group a list of ConsumeStats, each an MQ-keyed offset table. */
export function parseConsumeStatsList(raw: Buffer | undefined, addr: string): BrokerConsumeStats {
  const body = parseBody(raw, addr) as { brokerAddr?: string; totalDiff?: number; consumeStatsList?: unknown[] };
  const groups: BrokerConsumeStats['groups'] = [];
  for (const entry of body.consumeStatsList ?? []) {
    for (const [group, list] of entry instanceof Map ? entry : Object.entries(entry as object)) {
      const stats = (list as { consumeTps?: number; offsetTable?: unknown }[]).map((cs) => ({ consumeTps: Number(cs.consumeTps) || 0, offsets: mqKeyedEntries(cs.offsetTable) as [MessageQueue, Omit<ConsumeProgress, 'mq'>][] }));
      groups.push({ group: String(group), stats });
    }
  }
  return { brokerAddr: body.brokerAddr ?? addr, totalDiff: Number(body.totalDiff) || 0, groups };
}
