import { createHash } from 'node:crypto';
import type { ClientInstance } from './client-instance.js';
import { compareMessageQueue, formatMessageQueue, type MessageQueue } from './message-queue.js';

/**
 * Queue allocation strategies of a clustering consumer group (client/.../consumer/rebalance/*).
 * Every member computes its own share from the same sorted inputs (all queues of the topic sorted
 * by topic, broker name, queue id; all consumer ids sorted as strings), so the shares partition
 * the queues without any coordination. Members of one group must use the same strategy, Java
 * clients included: each one here computes exactly what its Java namesake does.
 */
export type AllocateStrategy = (currentCID: string, mqAll: readonly MessageQueue[], cidAll: readonly string[]) => MessageQueue[];

/**
 * AllocateMessageQueueAveragely: consecutive blocks; the first `n % c` consumers take one extra.
 *   size  = n <= c ? 1 : (mod > 0 && i < mod ? floor(n/c) + 1 : floor(n/c))
 *   start = mod > 0 && i < mod ? i * size : i * size + mod
 * then min(size, n - start) queues from start. Consumers with i >= n get nothing.
 */
export function allocateAveragely<T>(currentCID: string, mqAll: readonly T[], cidAll: readonly string[]): T[] {
  const index = cidAll.indexOf(currentCID);
  if (index < 0 || mqAll.length === 0) return [];
  const n = mqAll.length;
  const c = cidAll.length;
  const mod = n % c;
  const size = n <= c ? 1 : mod > 0 && index < mod ? Math.floor(n / c) + 1 : Math.floor(n / c);
  const start = mod > 0 && index < mod ? index * size : index * size + mod;
  const range = Math.min(size, n - start);
  const out: T[] = [];
  for (let i = 0; i < range; i++) out.push(mqAll[(start + i) % n]!);
  return out;
}

/** AllocateMessageQueueAveragelyByCircle: queue j goes to consumer j mod c. */
export function allocateAveragelyByCircle<T>(currentCID: string, mqAll: readonly T[], cidAll: readonly string[]): T[] {
  const index = cidAll.indexOf(currentCID);
  if (index < 0) return [];
  const out: T[] = [];
  for (let j = index; j < mqAll.length; j += cidAll.length) out.push(mqAll[j]!);
  return out;
}

/**
 * AllocateMessageQueueConsistentHash: each consumer id owns `virtualNodes` points on a ring
 * (`<cid>-<i>`), a queue goes to the first point at or after the hash of its Java toString
 * (wrapping round). The hash is the first four MD5 bytes as an unsigned big-endian number; on a
 * collision the point added later wins, as in Java's TreeMap. Queues move little when members come
 * and go.
 */
export function allocateConsistentHash(virtualNodes = 10): AllocateStrategy {
  if (!Number.isInteger(virtualNodes) || virtualNodes < 0) throw new RangeError(`illegal virtualNodeCnt :${virtualNodes}`);
  return (currentCID, mqAll, cidAll) => {
    if (!cidAll.includes(currentCID)) return [];
    const ring = new Map<number, string>();
    const replicas = new Map<string, number>();
    for (const cid of cidAll) {
      const from = replicas.get(cid) ?? 0;
      for (let i = 0; i < virtualNodes; i++) ring.set(md5Hash(`${cid}-${from + i}`), cid);
      replicas.set(cid, from + virtualNodes);
    }
    if (ring.size === 0) return [];
    const points = [...ring.keys()].sort((a, b) => a - b);
    return mqAll.filter((mq) => ring.get(points[ceilingIndex(points, md5Hash(formatMessageQueue(mq)))] ?? points[0]!) === currentCID);
  };
}

/** AllocateMessageQueueByConfig: the same fixed queues for every member (each member configures its own). */
export function allocateByConfig(queues: readonly MessageQueue[]): AllocateStrategy {
  return () => [...queues];
}

/**
 * AllocateMessageQueueByMachineRoom: only queues of brokers named `<idc>@<name>` with an idc in
 * `consumeIdcs`, split into equal blocks, the remainder handed out from the end one apiece.
 */
export function allocateByMachineRoom(consumeIdcs: Iterable<string>): AllocateStrategy {
  const idcs = new Set(consumeIdcs);
  return (currentCID, mqAll, cidAll) => {
    const index = cidAll.indexOf(currentCID);
    if (index < 0) return [];
    const mine = mqAll.filter((mq) => {
      const parts = javaSplit(mq.brokerName, '@');
      return parts.length === 2 && idcs.has(parts[0]!);
    });
    const mod = Math.floor(mine.length / cidAll.length);
    const rem = mine.length % cidAll.length;
    const out = mine.slice(mod * index, mod * index + mod);
    if (rem > index) out.push(mine[index + mod * cidAll.length]!);
    return out;
  };
}

/** Where brokers' queues and consumers run (AllocateMachineRoomNearby.MachineRoomResolver). */
export interface MachineRoomResolver {
  brokerDeployIn(mq: MessageQueue): string;
  consumerDeployIn(clientId: string): string;
}

/**
 * AllocateMachineRoomNearby: queues of a machine room go to that room's consumers by `inner`;
 * queues of rooms without consumers are shared by all consumers, by `inner` as well.
 */
export function allocateMachineRoomNearby(inner: AllocateStrategy, resolver: MachineRoomResolver): AllocateStrategy {
  return (currentCID, mqAll, cidAll) => {
    if (!cidAll.includes(currentCID)) return [];
    const byRoom = <T>(items: readonly T[], room: (t: T) => string, what: (t: T) => string): Map<string, T[]> => {
      const m = new Map<string, T[]>();
      for (const t of items) {
        const r = room(t);
        if (!r) throw new RangeError(`Machine room is null for ${what(t)}`);
        m.set(r, [...(m.get(r) ?? []), t]);
      }
      return m;
    };
    const mqRooms = byRoom(mqAll, (mq) => resolver.brokerDeployIn(mq), (mq) => `mq ${formatMessageQueue(mq)}`);
    const cidRooms = byRoom(cidAll, (cid) => resolver.consumerDeployIn(cid), (cid) => `consumer id ${cid}`);
    const here = resolver.consumerDeployIn(currentCID);
    const out: MessageQueue[] = [];
    const near = mqRooms.get(here);
    mqRooms.delete(here);
    if (near && near.length > 0) out.push(...inner(currentCID, near, cidRooms.get(here) ?? []));
    // Java walks the rooms in a TreeMap: ascending names (UTF-16 order).
    for (const room of [...mqRooms.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) {
      if (!cidRooms.has(room)) out.push(...inner(currentCID, mqRooms.get(room)!, cidAll));
    }
    return out;
  };
}

export type AllocateStrategyName = 'AVG' | 'AVG_BY_CIRCLE' | 'CONSISTENT_HASH';

export const ALLOCATE_STRATEGIES: Record<AllocateStrategyName, AllocateStrategy> = {
  AVG: allocateAveragely,
  AVG_BY_CIRCLE: allocateAveragelyByCircle,
  CONSISTENT_HASH: allocateConsistentHash(),
};

/**
 * A member's share of a topic's queues (RebalanceImpl.rebalanceByTopic): every queue when
 * broadcasting, else what the strategy gives it among the group's members as the topic's broker
 * lists them (sorted on both sides); null when no member list could be had.
 */
export async function shareOfTopic(inst: ClientInstance, group: string, topic: string, queues: readonly MessageQueue[], broadcasting: boolean, allocate: AllocateStrategy): Promise<MessageQueue[] | null> {
  const mqAll = [...queues].sort(compareMessageQueue);
  if (mqAll.length === 0 || broadcasting) return mqAll;
  const cidAll = (await inst.findConsumerIdList(topic, group)).sort();
  return cidAll.length === 0 ? null : allocate(inst.clientId, mqAll, cidAll);
}

/** ConsistentHashRouter's MD5Hash: the digest's first four bytes, unsigned big-endian. */
function md5Hash(key: string): number {
  return createHash('md5').update(key, 'utf8').digest().readUInt32BE(0);
}

/** Index of the first element >= `v` in ascending `a` (a.length when none). */
function ceilingIndex(a: readonly number[], v: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** String.split(sep) in Java: trailing empty strings are dropped. */
function javaSplit(s: string, sep: string): string[] {
  const parts = s.split(sep);
  while (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  return parts;
}
