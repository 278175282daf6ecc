/**
 * Queue allocation strategies of a clustering consumer group (client/.../consumer/rebalance/*).
 * Every member computes its own share from the same sorted inputs (all queues of the topic sorted
 * by topic, broker name, queue id; all consumer ids sorted as strings), so the shares partition
 * the queues without any coordination. Pure functions: no I/O, no state.
 */
export type AllocateStrategy = <T>(currentCID: string, mqAll: readonly T[], cidAll: readonly string[]) => T[];

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

export const ALLOCATE_STRATEGIES: Record<'AVG' | 'AVG_BY_CIRCLE', AllocateStrategy> = {
  AVG: allocateAveragely,
  AVG_BY_CIRCLE: allocateAveragelyByCircle,
};
