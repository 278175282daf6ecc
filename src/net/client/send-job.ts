import { PROPERTY } from '../../store/index.js';
import type { RequestCode } from '../codes.js';
import { MQClientError, errorMessage } from './errors.js';
import type { Namespace } from './namespace.js';
import type { Message } from './message.js';
import type { MessageQueue } from './message-queue.js';
import type { SendOptions } from './producer.js';
import type { RetryCounts } from './send-request.js';

export type Mode = 'sync' | 'async' | 'oneway';

/** One send in progress: what goes on the wire and how far its attempts got. */
export interface SendJob {
  code: typeof RequestCode.SEND_MESSAGE_V2 | typeof RequestCode.SEND_BATCH_MESSAGE | typeof RequestCode.SEND_REPLY_MESSAGE_V2;
  topic: string;
  msg: Message;
  uniqIds: string;
  body: Buffer;
  sysFlag: number;
  properties: string;
  mode: Mode;
  opts: SendOptions;
  begin: number;
  timeoutMs: number;
  /** Attempts allowed; 0 until the queues are known. */
  times: number;
  attempt: number;
  /** When the current attempt began (its latency feeds sendLatencyFaultEnable). */
  attemptBegin: number;
  fixed: MessageQueue | undefined;
  lastBroker: string | undefined;
  /** Sends to a retry topic: the counts that go into the header. */
  retry?: RetryCounts;
  lastErr: unknown;
}

/** `topic` is the one on the wire: the message's, in the producer's namespace. */
export function newJob(code: SendJob['code'], msg: Message, topic: string, uniqIds: string, body: Buffer, sysFlag: number, properties: string, mode: Mode, opts: SendOptions, sendMsgTimeout: number): SendJob {
  return {
    code, topic, msg, uniqIds, body, sysFlag, properties, mode, opts,
    begin: Date.now(), timeoutMs: opts.timeoutMs ?? sendMsgTimeout,
    times: 0, attempt: 0, attemptBegin: 0, fixed: undefined, lastBroker: undefined, lastErr: undefined,
  };
}

/** Removes RECONSUME_TIME and MAX_RECONSUME_TIMES from a retry topic message's properties. */
export function takeRetryCounts(props: Map<string, string>): RetryCounts {
  const reconsume = Number(props.get(PROPERTY.RECONSUME_TIME) ?? 0);
  const max = props.get(PROPERTY.MAX_RECONSUME_TIMES);
  props.delete(PROPERTY.RECONSUME_TIME);
  props.delete(PROPERTY.MAX_RECONSUME_TIMES);
  return { reconsumeTimes: Number.isInteger(reconsume) ? reconsume : 0, maxReconsumeTimes: max !== undefined && /^-?\d+$/.test(max) ? Number(max) : undefined };
}

export function exhausted(job: SendJob): MQClientError {
  const err = job.lastErr;
  if (err === undefined) return new MQClientError('TIMEOUT', `send to ${job.topic} timed out after ${job.timeoutMs}ms`);
  return new MQClientError('SEND_FAILED', `send to ${job.topic} failed after ${job.attempt} attempt(s): ${(err as Error).message}`, {
    cause: err,
    responseCode: err instanceof MQClientError ? err.responseCode : undefined,
  });
}

/**
 * The queue a MessageQueueSelector picks; its failure is the send's, as in Java's sendSelectImpl.
 * The selector sees the queues without the namespace, as the application names them.
 */
export function selectByUser(job: SendJob, queues: readonly MessageQueue[], ns: Namespace): MessageQueue {
  let mq: MessageQueue | undefined;
  try {
    mq = job.opts.selector!(ns.active ? queues.map((q) => ns.unwrapQueue(q)) : queues, job.msg, job.opts.arg);
    if (mq != null) mq = ns.wrapQueue(mq);
  } catch (err) {
    throw new MQClientError('SELECT_QUEUE_FAILED', `select message queue threw exception: ${errorMessage(err)}`, { cause: err });
  }
  // A missing queue must not quietly become round-robin: ordered sends rely on the selector.
  if (mq == null) throw new MQClientError('SELECT_QUEUE_FAILED', 'select message queue return null.');
  return mq;
}
