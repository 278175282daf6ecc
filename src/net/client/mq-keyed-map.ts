import type { MessageQueue } from './message-queue.js';
import { MQClientError } from './errors.js';
import { parseLenientJson } from './lenient-json.js';

/**
 * The `offsetTable` of a broker's TopicStatsTable, ConsumeStats or ResetOffsetBody: fastjson
 * writes a map keyed by MessageQueue objects with the objects themselves as keys
 * (`{{"brokerName":"b","queueId":0,"topic":"T"}:…}`), which only a lenient parser reads.
 */
export function mqKeyedOffsetTable(body: Buffer | undefined, addr: string): [MessageQueue, unknown][] {
  let parsed: unknown;
  try {
    parsed = parseLenientJson(body?.toString('utf8') || '{}');
  } catch (err) {
    throw new MQClientError('BAD_RESPONSE', `answer from ${addr} does not parse`, { cause: err, addr });
  }
  const table = (parsed as { offsetTable?: unknown } | null)?.offsetTable;
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
