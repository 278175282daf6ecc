import { PROPERTY, parseHostAddress, tagsCodeOf, type MessageInput, type StoredMessage } from '../../store/index.js';
import { encodeJavaOrder } from './properties-order.js';

/**
 * A stored message put again elsewhere (retry, DLQ, delayed delivery): same body, flag, sysFlag,
 * born time and host, new topic/queue and properties (re-encoded in Java HashMap order, tag code
 * recomputed). The body is copied: the source may be a view into a mapped file.
 */
export function inputFromStored(
  m: StoredMessage,
  topic: string,
  queueId: number,
  props: Map<string, string>,
  reconsumeTimes = m.reconsumeTimes,
): MessageInput {
  let bornHost;
  try {
    bornHost = parseHostAddress(m.bornHost);
  } catch {
    bornHost = undefined;
  }
  return {
    topic,
    queueId,
    body: Buffer.from(m.body),
    flag: m.flag,
    properties: encodeJavaOrder(props),
    tagsCode: tagsCodeOf(props.get(PROPERTY.TAGS)),
    sysFlag: m.sysFlag,
    bornTimestamp: m.bornTimestamp,
    bornHost,
    reconsumeTimes,
    preparedTransactionOffset: m.preparedTransactionOffset,
  };
}
