import { RemotingError } from './remoting-error.js';
import { type ExtFieldsInput, type HeaderFields, normalizeExtFields } from './header-fields.js';
import { decodeJsonHeader, encodeJsonHeader } from './json-header.js';
import { decodeBinaryHeader, encodeBinaryHeader } from './binary-header.js';
import {
  HEADER_LENGTH_FIELD_BYTES,
  HEADER_LENGTH_MASK,
  LENGTH_PREFIX_BYTES,
  SERIALIZE_TYPE_SHIFT,
} from './frame-codec.js';
import { MQVersion, requestCodeName, responseCodeName } from './codes.js';

/** Serialize type in the high byte of the header-length field. */
export const SerializeType = { JSON: 0, ROCKETMQ: 1 } as const;
export type SerializeTypeValue = 0 | 1;

/** `flag` bits. */
export const RPC_RESPONSE_FLAG = 1;
export const RPC_ONEWAY_FLAG = 2;

let nextOpaque = 0;

/** The next request opaque: Java's AtomicInteger.getAndIncrement, from 0, wrapping to negative. */
export function takeOpaque(): number {
  const o = nextOpaque;
  nextOpaque = (nextOpaque + 1) | 0;
  return o;
}

/**
 * One remoting request or response (RemotingCommand.java). The frame layout is in frame-codec.ts,
 * the header layouts in json-header.ts and binary-header.ts. A response answers in the
 * request's serialize type.
 */
export class RemotingCommand implements HeaderFields {
  /** Serialize type of commands created by this process (env ROCKETMQ_SERIALIZE_TYPE, as Java). */
  static defaultSerializeType: SerializeTypeValue = process.env.ROCKETMQ_SERIALIZE_TYPE === 'ROCKETMQ' ? 1 : 0;

  code: number;
  language = 'JAVA';
  version: number = MQVersion.CURRENT;
  opaque: number;
  flag = 0;
  remark?: string;
  extFields: Record<string, string>;
  body?: Buffer;
  serializeType: SerializeTypeValue = RemotingCommand.defaultSerializeType;
  hasCustomHeader = false;

  constructor(code: number, opaque: number, extFields: Record<string, string> = {}) {
    this.code = code;
    this.opaque = opaque;
    this.extFields = extFields;
  }

  static createRequest(code: number, extFields?: ExtFieldsInput, body?: Buffer): RemotingCommand {
    const cmd = new RemotingCommand(code, takeOpaque(), normalizeExtFields(extFields));
    cmd.hasCustomHeader = extFields !== undefined;
    if (body !== undefined && body.length > 0) cmd.body = body;
    return cmd;
  }

  static createResponse(
    request: RemotingCommand,
    code: number,
    remark?: string,
    extFields?: ExtFieldsInput,
    body?: Buffer,
  ): RemotingCommand {
    const cmd = new RemotingCommand(code, request.opaque, normalizeExtFields(extFields));
    cmd.flag = RPC_RESPONSE_FLAG;
    cmd.serializeType = request.serializeType;
    cmd.hasCustomHeader = extFields !== undefined;
    if (remark !== undefined) cmd.remark = remark;
    if (body !== undefined && body.length > 0) cmd.body = body;
    return cmd;
  }

  get isResponse(): boolean {
    return (this.flag & RPC_RESPONSE_FLAG) !== 0;
  }

  get isOneway(): boolean {
    return (this.flag & RPC_ONEWAY_FLAG) !== 0;
  }

  markOneway(): this {
    this.flag |= RPC_ONEWAY_FLAG;
    return this;
  }

  markResponse(): this {
    this.flag |= RPC_RESPONSE_FLAG;
    return this;
  }

  addExtField(key: string, value: string | number | boolean | bigint): this {
    this.extFields[key] = String(value);
    return this;
  }

  /** Whole frame including the 4-byte length prefix. */
  encode(): Buffer {
    const body = this.body;
    const bodyLen = body === undefined ? 0 : body.length;
    const frame = this.encodeHeaderWithRoom(bodyLen);
    if (body !== undefined) body.copy(frame, frame.length - bodyLen);
    return frame;
  }

  /**
   * The frame as [prefix + header, body?] so that a large body goes to the socket without being
   * copied (the two parts are written back to back).
   */
  encodeParts(): Buffer[] {
    const head = this.encodeHeaderWithRoom(0, this.body?.length ?? 0);
    return this.body === undefined ? [head] : [head, this.body];
  }

  private encodeHeaderWithRoom(room: number, bodyLen: number = room): Buffer {
    let headerLen: number;
    let json: string | undefined;
    let binary: Buffer | undefined;
    if (this.serializeType === SerializeType.ROCKETMQ) {
      binary = encodeBinaryHeader(this);
      headerLen = binary.length;
    } else {
      json = encodeJsonHeader(this);
      headerLen = Buffer.byteLength(json);
    }
    if (headerLen > HEADER_LENGTH_MASK) {
      throw new RemotingError('BAD_HEADER_LENGTH', `header of ${headerLen} bytes does not fit 24 bits`);
    }
    const prefixed = LENGTH_PREFIX_BYTES + HEADER_LENGTH_FIELD_BYTES;
    const buf = Buffer.allocUnsafe(prefixed + headerLen + room);
    buf.writeInt32BE(HEADER_LENGTH_FIELD_BYTES + headerLen + bodyLen, 0);
    buf.writeUInt32BE(((this.serializeType << SERIALIZE_TYPE_SHIFT) | headerLen) >>> 0, LENGTH_PREFIX_BYTES);
    if (binary !== undefined) binary.copy(buf, prefixed);
    else buf.write(json!, prefixed, 'utf8');
    return buf;
  }

  /** Decodes a frame WITHOUT its 4-byte length prefix (as FrameDecoder yields). Body is a view of `frame`. */
  static decode(frame: Buffer): RemotingCommand {
    if (frame.length < HEADER_LENGTH_FIELD_BYTES) {
      throw new RemotingError('BAD_FRAME_LENGTH', `frame of ${frame.length} bytes has no header length field`);
    }
    const lengthAndType = frame.readUInt32BE(0);
    const type = lengthAndType >>> SERIALIZE_TYPE_SHIFT;
    const headerLen = lengthAndType & HEADER_LENGTH_MASK;
    const headerEnd = HEADER_LENGTH_FIELD_BYTES + headerLen;
    if (headerEnd > frame.length) {
      throw new RemotingError('BAD_HEADER_LENGTH', `header length ${headerLen} exceeds the frame (${frame.length} bytes)`);
    }
    let h: HeaderFields;
    if (type === SerializeType.JSON) h = decodeJsonHeader(frame, HEADER_LENGTH_FIELD_BYTES, headerEnd);
    else if (type === SerializeType.ROCKETMQ) h = decodeBinaryHeader(frame, HEADER_LENGTH_FIELD_BYTES, headerEnd);
    else throw new RemotingError('BAD_SERIALIZE_TYPE', `unknown serialize type ${type}`);
    const cmd = new RemotingCommand(h.code, h.opaque, h.extFields);
    cmd.language = h.language;
    cmd.version = h.version;
    cmd.flag = h.flag;
    if (h.remark !== undefined) cmd.remark = h.remark;
    cmd.hasCustomHeader = h.hasCustomHeader;
    cmd.serializeType = type;
    if (headerEnd < frame.length) cmd.body = frame.subarray(headerEnd);
    return cmd;
  }

  toString(): string {
    const what = this.isResponse ? responseCodeName(this.code) : requestCodeName(this.code);
    return (
      `RemotingCommand [code=${this.code}(${what}), language=${this.language}, version=${this.version}, ` +
      `opaque=${this.opaque}, flag=${this.flag}, remark=${this.remark ?? ''}, ` +
      `extFields=${JSON.stringify(this.extFields)}, body=${this.body?.length ?? 0}B, serializeType=${this.serializeType}]`
    );
  }
}
