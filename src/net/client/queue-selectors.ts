import { javaStringHashCode } from '../../store/index.js';
import { illegalArgument } from './errors.js';
import type { Message } from './message.js';
import type { MessageQueue } from './message-queue.js';

/**
 * RocketMQ's stock MessageQueueSelectors. SelectMessageQueueByHash puts every message of one
 * order key in one queue; it hashes as Java's `arg.hashCode()` does, so TypeScript and Java
 * producers of one topic send a key to the same queue.
 */

/** SelectMessageQueueByHash: queue `|hashCode(arg) % n|`, the argument a string, number, bigint or boolean. */
export function selectMessageQueueByHash(mqs: readonly MessageQueue[], _msg: Message, arg: unknown): MessageQueue {
  let value = javaHashCode(arg) % mqs.length;
  if (value < 0) value = Math.abs(value);
  return mqs[value]!;
}

/** SelectMessageQueueByRandom. */
export function selectMessageQueueByRandom(mqs: readonly MessageQueue[]): MessageQueue {
  return mqs[Math.floor(Math.random() * mqs.length)]!;
}

/** Object.hashCode of the boxed Java value: String, Integer (int32), Long (other integers), Boolean. */
export function javaHashCode(arg: unknown): number {
  if (typeof arg === 'string') return javaStringHashCode(arg);
  if (typeof arg === 'boolean') return arg ? 1231 : 1237;
  if (typeof arg === 'number' && Number.isInteger(arg)) return arg === (arg | 0) ? arg : longHash(BigInt(arg));
  if (typeof arg === 'bigint') return longHash(arg);
  throw illegalArgument(`selectMessageQueueByHash: the argument must be a string, an integer, a bigint or a boolean, not ${typeof arg === 'number' ? arg : typeof arg}`);
}

/** Long.hashCode: (int)(v ^ (v >>> 32)). */
function longHash(v: bigint): number {
  const u = BigInt.asUintN(64, v);
  return Number(BigInt.asIntN(32, u ^ (u >> 32n)));
}
