/**
 * RocketMQ's message trace records (TraceDataEncoder), as Java clients write them to
 * RMQ_SYS_TRACE_TOPIC and the dashboard and `mqadmin queryMsgTraceById` read them: fields
 * separated by U+0001, each record ended by U+0002; booleans as true/false, a message type as its
 * ordinal, a missing value as the text "null" (never an empty last field: Java's split drops it).
 */
export const CONTENT_SPLITOR = '\u0001';
export const FIELD_SPLITOR = '\u0002';
export const DEFAULT_TRACE_TOPIC = 'RMQ_SYS_TRACE_TOPIC';
/** TraceConstants.GROUP_NAME_PREFIX: the producer that sends trace messages. */
export const TRACE_PRODUCER_GROUP = '_INNER_TRACE_PRODUCER';

/** MessageType ordinals. */
export const TRACE_MSG_TYPE = { Normal_Msg: 0, Trans_Msg_Half: 1, Trans_msg_Commit: 2, Delay_Msg: 3 } as const;
/** ConsumeReturnType ordinals (SubAfter's contextCode). */
export const CONSUME_RETURN = { SUCCESS: 0, TIME_OUT: 1, EXCEPTION: 2, RETURNNULL: 3, FAILED: 4 } as const;

/** What a producer-side record (Pub, EndTransaction) says of the message and where it went. */
interface ProducedMessageFields {
  timeStamp: number;
  regionId: string;
  groupName: string;
  topic: string;
  msgId: string;
  tags: string;
  keys: string;
  storeHost: string;
}

export interface PubRecord extends ProducedMessageFields {
  type: 'Pub';
  bodyLength: number;
  costTime: number;
  msgType: number;
  offsetMsgId: string;
  success: boolean;
}

export interface SubBeforeRecord {
  type: 'SubBefore';
  timeStamp: number;
  regionId: string;
  groupName: string;
  requestId: string;
  msgId: string;
  retryTimes: number;
  keys: string;
}

export interface SubAfterRecord {
  type: 'SubAfter';
  requestId: string;
  msgId: string;
  costTime: number;
  success: boolean;
  keys: string;
  contextCode: number;
  timeStamp: number;
  groupName: string;
}

export interface EndTransactionRecord extends ProducedMessageFields {
  type: 'EndTransaction';
  msgType: number;
  transactionId: string;
  /** COMMIT_MESSAGE, ROLLBACK_MESSAGE or UNKNOW. */
  transactionState: string;
  fromTransactionCheck: boolean;
}

export type TraceRecord = PubRecord | SubBeforeRecord | SubAfterRecord | EndTransactionRecord;

/** A text field: no separators inside, and "null" rather than empty, as Java appends a null. */
function text(v: string | undefined): string {
  if (v === undefined || v === '') return 'null';
  return v.replace(/[\u0001\u0002]/g, ' ');
}

export function encodeTraceRecord(r: TraceRecord): string {
  let fields: (string | number | boolean)[];
  switch (r.type) {
    case 'Pub':
      fields = ['Pub', r.timeStamp, text(r.regionId), text(r.groupName), text(r.topic), text(r.msgId), text(r.tags), text(r.keys), text(r.storeHost), r.bodyLength, r.costTime, r.msgType, text(r.offsetMsgId), r.success];
      break;
    case 'SubBefore':
      fields = ['SubBefore', r.timeStamp, text(r.regionId), text(r.groupName), text(r.requestId), text(r.msgId), r.retryTimes, text(r.keys)];
      break;
    case 'SubAfter':
      fields = ['SubAfter', text(r.requestId), text(r.msgId), r.costTime, r.success, text(r.keys), r.contextCode, r.timeStamp, text(r.groupName)];
      break;
    case 'EndTransaction':
      fields = ['EndTransaction', r.timeStamp, text(r.regionId), text(r.groupName), text(r.topic), text(r.msgId), text(r.tags), text(r.keys), text(r.storeHost), r.msgType, text(r.transactionId), text(r.transactionState), r.fromTransactionCheck];
      break;
  }
  return fields.join(CONTENT_SPLITOR) + FIELD_SPLITOR;
}

const int = (s: string | undefined): number => {
  const n = Number(s);
  return Number.isFinite(n) ? Math.trunc(n) : 0;
};
const value = (s: string | undefined): string => (s === undefined || s === 'null' ? '' : s);

/**
 * The records of one trace message body. Lenient where Java's decoder throws: a record of an
 * unknown type or too few fields is skipped, not the whole body. Pub with 12-15 fields and
 * SubAfter with 6-9 fields (older clients) are read, as the dashboard reads them.
 */
export function decodeTraceRecords(body: string): TraceRecord[] {
  const out: TraceRecord[] = [];
  for (const rec of body.split(FIELD_SPLITOR)) {
    const f = rec.split(CONTENT_SPLITOR);
    while (f.length > 0 && f[f.length - 1] === '') f.pop();
    if (f[0] === 'Pub' && f.length >= 12) {
      out.push({
        type: 'Pub', timeStamp: int(f[1]), regionId: value(f[2]), groupName: value(f[3]), topic: value(f[4]), msgId: value(f[5]), tags: value(f[6]), keys: value(f[7]),
        storeHost: value(f[8]), bodyLength: int(f[9]), costTime: int(f[10]), msgType: int(f[11]),
        offsetMsgId: f.length >= 14 ? value(f[12]) : '', success: f.length === 12 ? true : (f.length === 13 ? f[12] : f[13]) === 'true',
      });
    } else if (f[0] === 'SubBefore' && f.length >= 8) {
      out.push({ type: 'SubBefore', timeStamp: int(f[1]), regionId: value(f[2]), groupName: value(f[3]), requestId: value(f[4]), msgId: value(f[5]), retryTimes: int(f[6]), keys: value(f[7]) });
    } else if (f[0] === 'EndTransaction' && f.length >= 13) {
      out.push({
        type: 'EndTransaction', timeStamp: int(f[1]), regionId: value(f[2]), groupName: value(f[3]), topic: value(f[4]), msgId: value(f[5]), tags: value(f[6]), keys: value(f[7]),
        storeHost: value(f[8]), msgType: int(f[9]), transactionId: value(f[10]), transactionState: value(f[11]), fromTransactionCheck: f[12] === 'true',
      });
    } else if (f[0] === 'SubAfter' && f.length >= 6) {
      out.push({
        type: 'SubAfter', requestId: value(f[1]), msgId: value(f[2]), costTime: int(f[3]), success: f[4] === 'true', keys: value(f[5]),
        contextCode: f.length >= 7 ? int(f[6]) : 0, timeStamp: f.length >= 8 ? int(f[7]) : 0, groupName: f.length >= 9 ? value(f[8]) : '',
      });
    }
  }
  return out;
}
