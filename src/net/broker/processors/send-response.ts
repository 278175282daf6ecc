import { RemotingCommand, SerializeType } from '../../remoting-command.js';

/**
 * The send response (SendMessageResponseHeader plus MSG_REGION and TRACE_ON), answered for every
 * send. Its JSON header always has the same shape, so it is written by concatenation: the generic
 * encoder (JSON.stringify over a fresh object) cost ~3 us per response, a third of it for a
 * batch's 1 KiB msgId list. The text is byte for byte what the generic encoder writes; whenever
 * the command no longer has exactly the fields it was built with (serialize type, remark, body,
 * edited extFields), the generic encoder is used.
 */
class SendResponseCommand extends RemotingCommand {
  constructor(
    request: RemotingCommand,
    code: number,
    private readonly msgId: string,
    private readonly queueId: string,
    private readonly queueOffset: string,
    private readonly region: string,
    private readonly traceOn: string,
  ) {
    super(code, request.opaque, { msgId, queueId, queueOffset, MSG_REGION: region, TRACE_ON: traceOn });
    this.flag = 1;
    this.serializeType = request.serializeType;
    this.hasCustomHeader = true;
  }

  override encode(): Buffer {
    const plain = this.remark === undefined && this.body === undefined && this.language === 'JAVA' && this.serializeType === SerializeType.JSON;
    const tail = plain ? asciiTail(this.region, this.traceOn) : undefined;
    if (tail === undefined || !this.unchanged()) return super.encode();
    const json =
      '{"code":' + this.code + ',"extFields":{"msgId":"' + this.msgId + '","queueId":"' + this.queueId + '","queueOffset":"' + this.queueOffset +
      tail + ',"flag":' + this.flag + ',"language":"JAVA","opaque":' + this.opaque + ',"serializeTypeCurrentRPC":"JSON","version":' + this.version + '}';
    // Hex ids, integers and an ASCII tail: one byte per character.
    const len = json.length;
    const buf = Buffer.allocUnsafe(8 + len);
    buf.writeInt32BE(4 + len, 0);
    buf.writeInt32BE(len, 4);
    buf.write(json, 8, len, 'latin1');
    return buf;
  }

  override encodeParts(): Buffer[] {
    return this.body === undefined ? [this.encode()] : super.encodeParts();
  }

  private unchanged(): boolean {
    const e = this.extFields;
    let n = 0;
    for (const _ in e) n++;
    return n === 5 && e.msgId === this.msgId && e.queueId === this.queueId && e.queueOffset === this.queueOffset && e.MSG_REGION === this.region && e.TRACE_ON === this.traceOn;
  }
}

const HEX_IDS = /^[0-9A-F,]*$/;
let tailFor: { region: string; traceOn: string; text: string | undefined } | undefined;

/** `","MSG_REGION":…,"TRACE_ON":…}` as JSON, when it is ASCII (cached: it is config). */
function asciiTail(region: string, traceOn: string): string | undefined {
  if (tailFor === undefined || tailFor.region !== region || tailFor.traceOn !== traceOn) {
    const text = '",' + JSON.stringify({ MSG_REGION: region, TRACE_ON: traceOn }).slice(1);
    tailFor = { region, traceOn, text: /^[\x20-\x7e]*$/.test(text) ? text : undefined };
  }
  return tailFor.text;
}

/** A SendMessageResponseHeader response; its msgId is offsetMsgIds (uppercase hex, comma-joined). */
export function sendResponse(request: RemotingCommand, code: number, msgId: string, queueId: number, queueOffset: number, region: string, traceOn: boolean): RemotingCommand {
  if (!HEX_IDS.test(msgId)) {
    return RemotingCommand.createResponse(request, code, undefined, { msgId, queueId, queueOffset, MSG_REGION: region, TRACE_ON: traceOn });
  }
  return new SendResponseCommand(request, code, msgId, String(queueId), String(queueOffset), region, String(traceOn));
}
