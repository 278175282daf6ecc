import { randomUUID } from 'node:crypto';
import { PROPERTY, decodeProperties } from '../../store/index.js';
import type { Logger } from '../logger.js';
import type { RemotingCommand } from '../remoting-command.js';
import { decompressBody } from './compression.js';
import { MQClientError } from './errors.js';
import { Message, type MessageExt } from './message.js';

/**
 * Request-reply messaging (RocketMQ 4.6+): `Producer.request` sends an ordinary message carrying
 * CORRELATION_ID, REPLY_TO_CLIENT and TTL and waits; the consumer answers with
 * `createReplyMessage`, which its producer sends as SEND_REPLY_MESSAGE_V2; the broker pushes the
 * reply to the requesting client (PUSH_REPLY_MESSAGE_TO_CLIENT), which settles the wait by
 * correlation id.
 */
export const REPLY_MESSAGE_FLAG = 'reply';
export const REPLY_TOPIC_POSTFIX = 'REPLY_TOPIC';

/** MessageUtil.createReplyMessage: the answer to `request`, addressed to its requester through its cluster's reply topic. */
export function createReplyMessage(request: MessageExt, body: Buffer | string): Message {
  const p = request.properties;
  const cluster = p[PROPERTY.CLUSTER];
  if (!cluster) throw new MQClientError('ILLEGAL_ARGUMENT', 'create reply message fail, requestMessage error, property[CLUSTER] is null.');
  const reply = new Message(`${cluster}_${REPLY_TOPIC_POSTFIX}`, body);
  reply.properties.set(PROPERTY.MSG_TYPE, REPLY_MESSAGE_FLAG);
  for (const k of [PROPERTY.CORRELATION_ID, PROPERTY.REPLY_TO_CLIENT, PROPERTY.TTL]) {
    const v = p[k];
    if (v !== undefined) reply.properties.set(k, v);
  }
  return reply;
}

/** Marks `msg` as a request from `clientId` and returns its correlation id (prepareSendRequest). */
export function prepareRequest(msg: Message, clientId: string, timeoutMs: number): string {
  const id = randomUUID();
  msg.properties.set(PROPERTY.CORRELATION_ID, id);
  msg.properties.set(PROPERTY.REPLY_TO_CLIENT, clientId);
  msg.properties.set(PROPERTY.TTL, String(timeoutMs));
  return id;
}

/** `/10.0.0.5:53122` (Java's InetSocketAddress.toString) -> `10.0.0.5:53122`. */
function hostText(s: string | undefined): string {
  return (s ?? '').slice((s ?? '').indexOf('/') + 1);
}

/** A pushed reply (ReplyMessageRequestHeader + body) as a message, as receiveReplyMessage builds it. */
export function replyFromPush(req: RemotingCommand, brokerName: string): MessageExt {
  const h = req.extFields;
  const props = decodeProperties(h.properties);
  props.set(PROPERTY.ARRIVE_TIME, String(Date.now()));
  const sysFlag = Number(h.sysFlag) || 0;
  const raw = req.body ?? Buffer.alloc(0);
  const properties = Object.fromEntries(props);
  const id = properties[PROPERTY.UNIQ_KEY] ?? '';
  return {
    storeSize: 0, bodyCRC: 0, queueOffset: 0, commitLogOffset: 0, preparedTransactionOffset: 0,
    topic: h.topic ?? '',
    queueId: Number(h.queueId) || 0,
    flag: Number(h.flag) || 0,
    sysFlag,
    bornTimestamp: Number(h.bornTimestamp) || 0,
    bornHost: hostText(h.bornHost),
    storeTimestamp: Number(h.storeTimestamp) || 0,
    storeHost: hostText(h.storeHost),
    reconsumeTimes: Number(h.reconsumeTimes) || 0,
    body: sysFlag & 1 ? (decompressBody(raw, sysFlag) ?? raw) : raw,
    propertiesString: h.properties ?? '',
    properties,
    msgId: id,
    offsetMsgId: '',
    tags: properties[PROPERTY.TAGS],
    keys: properties[PROPERTY.KEYS],
    brokerName,
  };
}

interface Waiter {
  resolve(m: MessageExt): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
}

/** A client's requests waiting for replies, by correlation id (RequestFutureTable). */
export class ReplyWaiters {
  private readonly table = new Map<string, Waiter>();

  constructor(private readonly logger: Logger) {}

  /** The reply to `correlationId`, or a TIMEOUT error after `timeoutMs`. */
  wait(correlationId: string, timeoutMs: number, topic: string): Promise<MessageExt> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.table.delete(correlationId);
        reject(new MQClientError('TIMEOUT', `send request message to <${topic}> OK, but wait reply message timeout, ${timeoutMs} ms.`));
      }, timeoutMs);
      this.table.set(correlationId, { resolve, reject, timer });
    });
  }

  /** The request could not be sent: its wait ends with `err`. */
  fail(correlationId: string, err: Error): void {
    const w = this.table.get(correlationId);
    if (!w) return;
    this.table.delete(correlationId);
    clearTimeout(w.timer);
    w.reject(err);
  }

  /** Settles the wait the reply answers; a reply nobody waits for (late, or for another client) is logged. */
  complete(reply: MessageExt): void {
    const id = reply.properties[PROPERTY.CORRELATION_ID] ?? '';
    const w = this.table.get(id);
    if (!w) {
      this.logger.warn('receive reply message, but not matched any request, CorrelationId: %s , reply from host: %s', id, reply.bornHost);
      return;
    }
    this.table.delete(id);
    clearTimeout(w.timer);
    w.resolve(reply);
  }

  /** The client is closing: every wait fails now instead of at its timeout. */
  failAll(err: Error): void {
    for (const id of [...this.table.keys()]) this.fail(id, err);
  }
}
