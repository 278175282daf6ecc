import { RemotingCommand, SerializeType } from '../remoting-command.js';
import { RequestCode, ResponseCode } from '../codes.js';
import { MQVersion } from '../codes.js';
import { brokerError } from './errors.js';
import type { MessageQueue } from './message-queue.js';

/**
 * SEND_MESSAGE_V2 (310) and SEND_BATCH_MESSAGE (320) requests, and their responses.
 *
 * Header fields use the V2 short names (SendMessageRequestHeaderV2):
 *   a producerGroup  b topic  c defaultTopic  d defaultTopicQueueNums  e queueId  f sysFlag
 *   g bornTimestamp  h flag   i properties    j reconsumeTimes  k unitMode  l maxReconsumeTimes  m batch
 *
 * This is the producer's hot path, so with JSON serialization the header text is assembled from a
 * per-topic prefix (group, topic, default topic: escaped once) and the few per-message values,
 * instead of building an extFields object and serializing it field by field. The text is the same
 * that RemotingCommand.encode would produce from those extFields.
 */
export type SendStatus = 'SEND_OK' | 'FLUSH_DISK_TIMEOUT' | 'FLUSH_SLAVE_TIMEOUT' | 'SLAVE_NOT_AVAILABLE';

export interface SendResult {
  sendStatus: SendStatus;
  /** Client id(s): UNIQ_KEY, comma-joined for a batch. */
  msgId: string;
  /** Broker id(s): store host + commit log offset, comma-joined for a batch. */
  offsetMsgId: string;
  messageQueue: MessageQueue;
  queueOffset: number;
  regionId: string;
  traceOn: boolean;
}

export interface SendFields {
  topic: string;
  queueId: number;
  sysFlag: number;
  bornTimestamp: number;
  flag: number;
  /** Encoded property string. */
  properties: string;
  reconsumeTimes: number;
  maxReconsumeTimes?: number;
}

const STATUS_BY_CODE: ReadonlyMap<number, SendStatus> = new Map([
  [ResponseCode.SUCCESS, 'SEND_OK'],
  [ResponseCode.FLUSH_DISK_TIMEOUT, 'FLUSH_DISK_TIMEOUT'],
  [ResponseCode.FLUSH_SLAVE_TIMEOUT, 'FLUSH_SLAVE_TIMEOUT'],
  [ResponseCode.SLAVE_NOT_AVAILABLE, 'SLAVE_NOT_AVAILABLE'],
]);

const HEADER_TAIL_BEFORE_OPAQUE = ',"language":"JAVA","opaque":';
const HEADER_TAIL = ',"serializeTypeCurrentRPC":"JSON","version":' + MQVersion.CURRENT + '}';

/** A request whose JSON header text was assembled by SendRequestEncoder; encodes without extFields. */
class PreparedSendCommand extends RemotingCommand {
  constructor(
    code: number,
    opaque: number,
    private readonly headerStart: string,
    body: Buffer,
  ) {
    super(code, opaque);
    this.body = body;
    this.hasCustomHeader = true;
  }

  private headerText(): string {
    return this.headerStart + ',"flag":' + this.flag + HEADER_TAIL_BEFORE_OPAQUE + this.opaque + HEADER_TAIL;
  }

  override encode(): Buffer {
    const json = this.headerText();
    const headerLen = Buffer.byteLength(json);
    const body = this.body!;
    const buf = Buffer.allocUnsafe(8 + headerLen + body.length);
    buf.writeInt32BE(4 + headerLen + body.length, 0);
    buf.writeInt32BE(headerLen, 4);
    buf.write(json, 8, 'utf8');
    body.copy(buf, 8 + headerLen);
    return buf;
  }

  override encodeParts(): Buffer[] {
    const json = this.headerText();
    const headerLen = Buffer.byteLength(json);
    const head = Buffer.allocUnsafe(8 + headerLen);
    head.writeInt32BE(4 + headerLen + this.body!.length, 0);
    head.writeInt32BE(headerLen, 4);
    head.write(json, 8, 'utf8');
    return [head, this.body!];
  }
}

/** Builds send requests for one producer group. */
export class SendRequestEncoder {
  private readonly prefixes = new Map<string, string>();

  constructor(
    private readonly producerGroup: string,
    private readonly defaultTopic: string,
    private readonly defaultTopicQueueNums: number,
  ) {}

  build(
    code: typeof RequestCode.SEND_MESSAGE_V2 | typeof RequestCode.SEND_BATCH_MESSAGE,
    topic: string,
    queueId: number,
    sysFlag: number,
    bornTimestamp: number,
    flag: number,
    properties: string,
    body: Buffer,
  ): RemotingCommand {
    const batch = code === RequestCode.SEND_BATCH_MESSAGE;
    // An ordinary RemotingCommand to take the next opaque and the process's serialize type.
    const base = RemotingCommand.createRequest(code);
    if (base.serializeType !== SerializeType.JSON) return this.buildGeneric(base, { topic, queueId, sysFlag, bornTimestamp, flag, properties, reconsumeTimes: 0 }, batch, body);
    let prefix = this.prefixes.get(topic);
    if (prefix === undefined) {
      prefix =
        ',"extFields":{"a":' + JSON.stringify(this.producerGroup) + ',"b":' + JSON.stringify(topic) +
        ',"c":' + JSON.stringify(this.defaultTopic) + ',"d":"' + this.defaultTopicQueueNums + '","e":"';
      this.prefixes.set(topic, prefix);
    }
    const head =
      '{"code":' + code + prefix + queueId + '","f":"' + sysFlag + '","g":"' + bornTimestamp + '","h":"' + flag +
      '","i":' + JSON.stringify(properties) + ',"j":"0","k":"false","m":"' + batch + '"}';
    return new PreparedSendCommand(code, base.opaque, head, body);
  }

  /** The same request as an ordinary extFields command (ROCKETMQ serialization, retry-topic fields). */
  buildGeneric(base: RemotingCommand, f: SendFields, batch: boolean, body: Buffer): RemotingCommand {
    const ext: Record<string, string> = {
      a: this.producerGroup,
      b: f.topic,
      c: this.defaultTopic,
      d: String(this.defaultTopicQueueNums),
      e: String(f.queueId),
      f: String(f.sysFlag),
      g: String(f.bornTimestamp),
      h: String(f.flag),
      i: f.properties,
      j: String(f.reconsumeTimes),
      k: 'false',
    };
    if (f.maxReconsumeTimes !== undefined) ext.l = String(f.maxReconsumeTimes);
    ext.m = String(batch);
    base.extFields = ext;
    base.hasCustomHeader = true;
    base.body = body;
    return base;
  }
}

/** SendMessageResponseHeader -> SendResult; codes other than the four "stored" ones throw. */
export function parseSendResponse(res: RemotingCommand, addr: string, mq: MessageQueue, uniqIds: string): SendResult {
  const status = STATUS_BY_CODE.get(res.code);
  if (status === undefined) throw brokerError(res, addr, `send to ${mq.topic} on ${mq.brokerName}`);
  const ext = res.extFields;
  const queueId = ext.queueId === undefined ? mq.queueId : Number(ext.queueId);
  return {
    sendStatus: status,
    msgId: uniqIds,
    offsetMsgId: ext.msgId ?? '',
    messageQueue: queueId === mq.queueId ? mq : { topic: mq.topic, brokerName: mq.brokerName, queueId },
    queueOffset: Number(ext.queueOffset ?? -1),
    regionId: ext.MSG_REGION ?? 'DefaultRegion',
    traceOn: ext.TRACE_ON !== 'false',
  };
}
