import type { Logger } from '../logger.js';
import { innerClientConfig, type ClientConfig } from './client-config.js';
import { errorMessage } from './errors.js';
import { Message, type MessageExt } from './message.js';
import { createUniqId } from './message-id.js';
import { Producer } from './producer.js';
import { CONSUME_RETURN, DEFAULT_TRACE_TOPIC, TRACE_MSG_TYPE, TRACE_PRODUCER_GROUP, encodeTraceRecord, type TraceRecord } from './trace-data.js';
import type { SendResult } from './send-request.js';
import { PROPERTY } from '../../store/index.js';

/** A trace message's body stays under the producer's 128000 bytes with room to spare (AsyncTraceDispatcher). */
const MAX_BATCH_CHARS = 118_000;
/** A batch goes out once its oldest record waited this long. */
const MAX_WAIT_MS = 500;
const POLL_MS = 100;
let dispatchers = 0;

/**
 * AsyncTraceDispatcher: a traced client's records are batched into trace messages (keys = the
 * traced message ids and keys, so a key query finds them) and sent by an inner producer of their
 * own to the trace topic, off the traced send's path. Trace sends are best effort: a failure is
 * logged, never passed on to the application.
 */
export class TraceDispatcher {
  readonly topic: string;
  private records: string[] = [];
  private chars = 0;
  private keys = new Set<string>();
  private oldest = 0;
  private producer: Promise<Producer> | null = null;
  private readonly timer: NodeJS.Timeout;
  private sending: Promise<void> = Promise.resolve();

  constructor(
    customizedTopic: string,
    private readonly client: ClientConfig,
    private readonly logger: Logger,
  ) {
    this.topic = customizedTopic || DEFAULT_TRACE_TOPIC;
    this.timer = setInterval(() => {
      if (this.records.length > 0 && Date.now() - this.oldest >= MAX_WAIT_MS) void this.flush();
    }, POLL_MS);
    this.timer.unref();
  }

  append(record: TraceRecord, keys: Iterable<string>): void {
    const text = encodeTraceRecord(record);
    if (this.records.length === 0) this.oldest = Date.now();
    this.records.push(text);
    this.chars += text.length;
    for (const k of keys) if (k) this.keys.add(k);
    if (this.chars >= MAX_BATCH_CHARS) void this.flush();
  }

  /** Sends what is batched now (one message); resolves when it and earlier sends are done. */
  flush(): Promise<void> {
    if (this.records.length > 0) {
      const msg = new Message(this.topic, this.records.join(''), { keys: [...this.keys] });
      this.records = [];
      this.chars = 0;
      this.keys = new Set();
      this.sending = this.sending.then(() => this.send(msg));
    }
    return this.sending;
  }

  async shutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
    const p = this.producer;
    this.producer = null;
    if (p) await (await p.catch(() => null))?.shutdown();
  }

  private async send(msg: Message): Promise<void> {
    try {
      await (await this.traceProducer()).send(msg);
    } catch (err) {
      this.logger.warn('sending a trace message to %s failed: %s', this.topic, errorMessage(err));
    }
  }

  private traceProducer(): Promise<Producer> {
    this.producer ??= (async () => {
      // An instance of its own (Java: PID_CLIENT_INNER_TRACE_PRODUCER): the traced clients keep their connections to themselves.
      const p = new Producer({
        producerGroup: TRACE_PRODUCER_GROUP, instanceName: `PID_CLIENT_INNER_TRACE_PRODUCER_${process.pid}_${++dispatchers}`,
        ...innerClientConfig(this.client), sendMsgTimeout: 5000, logger: this.logger,
      });
      await p.start();
      return p;
    })();
    this.producer.catch(() => (this.producer = null));
    return this.producer;
  }
}

/** The Pub record of a send that got a result (SendMessageTraceHookImpl); skipped when the broker turned traces off. */
export function tracePub(t: TraceDispatcher, group: string, msg: Message, r: SendResult, begin: number, bodyLength: number, storeHost: string): void {
  if (!r.traceOn || msg.topic === t.topic) return;
  const p = msg.properties;
  const msgType = p.get(PROPERTY.TRAN_MSG) === 'true' ? TRACE_MSG_TYPE.Trans_Msg_Half : p.has(PROPERTY.DELAY) ? TRACE_MSG_TYPE.Delay_Msg : TRACE_MSG_TYPE.Normal_Msg;
  const keys = p.get(PROPERTY.KEYS) ?? '';
  t.append(
    {
      type: 'Pub', timeStamp: begin, regionId: r.regionId, groupName: group, topic: msg.topic, msgId: r.msgId, tags: p.get(PROPERTY.TAGS) ?? '', keys,
      storeHost, bodyLength, costTime: Date.now() - begin, msgType, offsetMsgId: r.offsetMsgId, success: r.sendStatus === 'SEND_OK',
    },
    [r.msgId, ...keys.split(' ')],
  );
}

/**
 * The SubBefore and SubAfter records of one consumed batch (ConsumeMessageTraceHookImpl), written
 * together once the listener answered: one request id pairs them, the batch's time is shared
 * among its messages, and messages sent with TRACE_ON=false are left out.
 */
export function traceConsume(t: TraceDispatcher, group: string, msgs: readonly MessageExt[], ok: boolean, thrown: boolean, rtMs: number): void {
  const traced = msgs.filter((m) => m.properties[PROPERTY.TRACE_ON] !== 'false' && m.topic !== t.topic);
  if (traced.length === 0) return;
  const end = Date.now();
  const requestId = createUniqId();
  const regionId = traced[traced.length - 1]!.properties[PROPERTY.MSG_REGION] ?? '';
  const costTime = Math.trunc(rtMs / msgs.length);
  const contextCode = ok ? CONSUME_RETURN.SUCCESS : thrown ? CONSUME_RETURN.EXCEPTION : CONSUME_RETURN.FAILED;
  for (const m of traced) {
    const keys = m.keys ?? '';
    const traceKeys = [m.msgId, ...keys.split(' ')];
    t.append({ type: 'SubBefore', timeStamp: end - rtMs, regionId, groupName: group, requestId, msgId: m.msgId, retryTimes: m.reconsumeTimes, keys }, traceKeys);
    t.append({ type: 'SubAfter', requestId, msgId: m.msgId, costTime, success: ok, keys, contextCode, timeStamp: end, groupName: group }, traceKeys);
  }
}

/** The EndTransaction record of a transaction's outcome told to the broker (EndTransactionTraceHookImpl). */
export function traceEndTransaction(t: TraceDispatcher, group: string, msg: { topic: string; tags?: string; keys?: string; properties: { get(k: string): string | undefined } }, msgId: string, transactionId: string, state: string, fromTransactionCheck: boolean, storeHost: string): void {
  if (msg.topic === t.topic) return;
  const keys = msg.keys ?? '';
  t.append(
    {
      type: 'EndTransaction', timeStamp: Date.now(), regionId: msg.properties.get(PROPERTY.MSG_REGION) ?? 'DefaultRegion', groupName: group, topic: msg.topic, msgId,
      tags: msg.tags ?? '', keys, storeHost, msgType: TRACE_MSG_TYPE.Trans_msg_Commit, transactionId, transactionState: state, fromTransactionCheck,
    },
    [msgId, ...keys.split(' ')],
  );
}
