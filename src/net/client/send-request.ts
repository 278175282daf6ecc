import { createHmac, type KeyObject } from 'node:crypto';
import { RemotingCommand, SerializeType, takeOpaque } from '../remoting-command.js';
import { signingKey } from '../acl-signature.js';
import { JsonBytesWriter } from '../json-bytes.js';
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
 * This is the producer's hot path, so with JSON serialization the header bytes are written from a
 * per-topic prefix (group, topic, default topic: escaped once) and the few per-message values,
 * instead of building an extFields object or a header string. The bytes are the same that
 * RemotingCommand.encode would produce from those extFields.
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

/** Redelivery counts of a send to a retry topic (header fields j and l). */
export interface RetryCounts {
  reconsumeTimes: number;
  maxReconsumeTimes: number | undefined;
}

const STATUS_BY_CODE: ReadonlyMap<number, SendStatus> = new Map([
  [ResponseCode.SUCCESS, 'SEND_OK'],
  [ResponseCode.FLUSH_DISK_TIMEOUT, 'FLUSH_DISK_TIMEOUT'],
  [ResponseCode.FLUSH_SLAVE_TIMEOUT, 'FLUSH_SLAVE_TIMEOUT'],
  [ResponseCode.SLAVE_NOT_AVAILABLE, 'SLAVE_NOT_AVAILABLE'],
]);

const F = Buffer.from('","f":"');
const G = Buffer.from('","g":"');
const H = Buffer.from('","h":"');
const I = Buffer.from('","i":');
const REST_FALSE = Buffer.from(',"j":"0","k":"false","m":"false"},"flag":');
const REST_TRUE = Buffer.from(',"j":"0","k":"false","m":"true"},"flag":');
const REST_FALSE_SIGNED = Buffer.from(',"j":"0","k":"false","m":"false",');
const REST_TRUE_SIGNED = Buffer.from(',"j":"0","k":"false","m":"true",');
const SIGNATURE_FIELD = Buffer.from('"Signature":');
const CLOSE_FLAG = Buffer.from('},"flag":');

/** A signing producer's identity: the `"AccessKey":…,` (and SecurityToken) JSON, the values they sign, the key. */
export interface SendSigner {
  /** `"AccessKey":"…",` plus `"SecurityToken":"…",` when there is one. */
  fields: Buffer;
  /** Their values in key order (AccessKey < SecurityToken < a … m), the start of every signed content. */
  prefix: string;
  key: KeyObject;
}

export function sendSigner(accessKey: string, securityToken: string, secretKey: string): SendSigner {
  const fields = `"AccessKey":${JSON.stringify(accessKey)},` + (securityToken ? `"SecurityToken":${JSON.stringify(securityToken)},` : '');
  return { fields: Buffer.from(fields), prefix: accessKey + securityToken, key: signingKey(secretKey) };
}
const LANGUAGE_OPAQUE = Buffer.from(',"language":"JAVA","opaque":');
const HEADER_TAIL = Buffer.from(',"serializeTypeCurrentRPC":"JSON","version":' + MQVersion.CURRENT + '}');

/** Header bytes are assembled here, then copied into each frame (single-threaded: one at a time). */
const scratch = new JsonBytesWriter();

/**
 * A send request whose JSON header is written byte by byte from its fields (see
 * SendRequestEncoder); the bytes equal what RemotingCommand.encode makes of the same extFields.
 */
class PreparedSendCommand extends RemotingCommand {
  constructor(
    code: number,
    opaque: number,
    /** `{"code":…,"extFields":{"a":…,"b":…,"c":…,"d":"…","e":"` for this code and topic. */
    private readonly prefix: Buffer,
    private readonly fields: SendFields,
    private readonly batch: boolean,
    body: Buffer,
    /** Signed: the signer and this request's signature (computed once, the header may be written twice). */
    private readonly auth?: { signer: SendSigner; signature: string },
  ) {
    super(code, opaque);
    this.body = body;
    this.hasCustomHeader = true;
  }

  private header(): Buffer {
    const f = this.fields;
    return scratch
      .reset()
      .raw(this.prefix)
      .int(f.queueId)
      .raw(F)
      .int(f.sysFlag)
      .raw(G)
      .int(f.bornTimestamp)
      .raw(H)
      .int(f.flag)
      .raw(I)
      .string(f.properties)
      .raw(this.auth ? this.authTail(this.auth) : this.batch ? REST_TRUE : REST_FALSE)
      .int(this.flag)
      .raw(LANGUAGE_OPAQUE)
      .int(this.opaque)
      .raw(HEADER_TAIL).bytes;
  }

  /** `…"m":"…","AccessKey":…,"Signature":"…"},"flag":` (JSON field order is free; the broker signs in key order). */
  private authTail(auth: { signer: SendSigner; signature: string }): Buffer {
    return Buffer.concat([this.batch ? REST_TRUE_SIGNED : REST_FALSE_SIGNED, auth.signer.fields, SIGNATURE_FIELD, Buffer.from(JSON.stringify(auth.signature)), CLOSE_FLAG]);
  }

  override encode(): Buffer {
    const header = this.header();
    const body = this.body!;
    const buf = Buffer.allocUnsafe(8 + header.length + body.length);
    buf.writeInt32BE(4 + header.length + body.length, 0);
    buf.writeInt32BE(header.length, 4);
    header.copy(buf, 8);
    body.copy(buf, 8 + header.length);
    return buf;
  }

  override encodeParts(): Buffer[] {
    const header = this.header();
    const head = Buffer.allocUnsafe(8 + header.length);
    head.writeInt32BE(4 + header.length + this.body!.length, 0);
    head.writeInt32BE(header.length, 4);
    header.copy(head, 8);
    return [head, this.body!];
  }
}

/** Builds send requests for one producer group. */
export class SendRequestEncoder {
  /** Header prefixes per topic, for SEND_MESSAGE_V2 [0], SEND_BATCH_MESSAGE [1] and SEND_REPLY_MESSAGE_V2 [2]. */
  private readonly prefixes = [new Map<string, Buffer>(), new Map<string, Buffer>(), new Map<string, Buffer>()];

  constructor(
    private readonly producerGroup: string,
    private readonly defaultTopic: string,
    private readonly defaultTopicQueueNums: number,
    /**
     * ACL signing: sends go on the producer's own connections, past the remoting client's hook, so
     * the encoder signs them: on the byte-written path from the fields themselves, on the generic
     * path (retries, ROCKETMQ serialization) through the hook.
     */
    private readonly sign?: (addr: string, cmd: RemotingCommand) => void,
    private readonly signer?: SendSigner,
  ) {}

  build(
    code: typeof RequestCode.SEND_MESSAGE_V2 | typeof RequestCode.SEND_BATCH_MESSAGE | typeof RequestCode.SEND_REPLY_MESSAGE_V2,
    topic: string,
    queueId: number,
    sysFlag: number,
    bornTimestamp: number,
    flag: number,
    properties: string,
    body: Buffer,
  ): RemotingCommand {
    const batch = code === RequestCode.SEND_BATCH_MESSAGE;
    const fields: SendFields = { topic, queueId, sysFlag, bornTimestamp, flag, properties, reconsumeTimes: 0 };
    if (RemotingCommand.defaultSerializeType !== SerializeType.JSON || (this.sign && !this.signer)) return this.buildGeneric(RemotingCommand.createRequest(code), fields, batch, body);
    const prefixes = this.prefixes[batch ? 1 : code === RequestCode.SEND_REPLY_MESSAGE_V2 ? 2 : 0]!;
    let prefix = prefixes.get(topic);
    if (prefix === undefined) {
      prefix = Buffer.from(
        '{"code":' + code + ',"extFields":{"a":' + JSON.stringify(this.producerGroup) + ',"b":' + JSON.stringify(topic) +
          ',"c":' + JSON.stringify(this.defaultTopic) + ',"d":"' + this.defaultTopicQueueNums + '","e":"',
      );
      prefixes.set(topic, prefix);
    }
    if (!this.signer) return new PreparedSendCommand(code, takeOpaque(), prefix, fields, batch, body);
    // The values in key order, as requestSignature would join them from the ext fields.
    const s = this.signer;
    const text = s.prefix + this.producerGroup + topic + this.defaultTopic + this.defaultTopicQueueNums + queueId + sysFlag + bornTimestamp + flag + properties + '0' + 'false' + batch;
    const signature = createHmac('sha1', s.key).update(text, 'utf8').update(body).digest('base64');
    return new PreparedSendCommand(code, takeOpaque(), prefix, fields, batch, body, { signer: s, signature });
  }

  /** A SEND_MESSAGE_V2 to a retry topic: the generic form, with the redelivery counts in the header. */
  buildRetry(topic: string, queueId: number, sysFlag: number, bornTimestamp: number, flag: number, properties: string, body: Buffer, retry: RetryCounts): RemotingCommand {
    const fields: SendFields = { topic, queueId, sysFlag, bornTimestamp, flag, properties, reconsumeTimes: retry.reconsumeTimes };
    if (retry.maxReconsumeTimes !== undefined) fields.maxReconsumeTimes = retry.maxReconsumeTimes;
    return this.buildGeneric(RemotingCommand.createRequest(RequestCode.SEND_MESSAGE_V2), fields, false, body);
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
    this.sign?.('', base);
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
