import { javaHashMapOrder } from '../store/index.js';
import type { MessageExt } from '../net/client/index.js';

/**
 * Output helpers reproducing what mqadmin's Java printf formats and toString methods print, so
 * scripts that parse RocketMQ's tool output keep working.
 */

/** `%-Ns` */
export function left(v: unknown, width: number): string {
  return String(v).padEnd(width);
}

/** `%Ns` */
export function right(v: unknown, width: number): string {
  return String(v).padStart(width);
}

/** UtilAll.frontStringAtLeast: at most `n` leading characters. */
export function front(s: string, n: number): string {
  return s.length > n ? s.slice(0, n) : s;
}

/** `%.Nf` with Java's HALF_UP rounding of the printed digits. */
export function fixed(v: number, digits: number): string {
  return (Math.round(v * 10 ** digits) / 10 ** digits).toFixed(digits);
}

const p2 = (n: number): string => String(n).padStart(2, '0');

/** UtilAll.formatDate(d, "yyyy-MM-dd HH:mm:ss"), local time. */
export function formatDateTime(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${p2(d.getMonth() + 1)}-${p2(d.getDate())} ${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())}`;
}

/** UtilAll.timeMillisToHumanString2: "yyyy-MM-dd HH:mm:ss,SSS", local time. */
export function humanTime(ms: number): string {
  return `${formatDateTime(ms)},${String(new Date(ms).getMilliseconds()).padStart(3, '0')}`;
}

/** java.util.HashMap#toString of a String map: `{k=v, k2=v2}` in HashMap iteration order. */
export function javaMapString(props: Record<string, string>): string {
  return `{${javaHashMapOrder(Object.keys(props)).map((k) => `${k}=${props[k]}`).join(', ')}}`;
}

/** Arrays.toString(byte[]): signed bytes. */
function javaBytes(b: Buffer): string {
  const out = new Array<number>(b.length);
  for (let i = 0; i < b.length; i++) out[i] = b[i]! > 127 ? b[i]! - 256 : b[i]!;
  return `[${out.join(', ')}]`;
}

/** MessageExt#toString (4.9), as printMsgByQueue/consumeMessage print it. */
export function messageExtString(m: MessageExt): string {
  const transactionId = m.properties.TRAN_MSG === 'true' ? m.msgId : 'null';
  return (
    `MessageExt [brokerName=${m.brokerName || 'null'}, queueId=${m.queueId}, storeSize=${m.storeSize}, queueOffset=${m.queueOffset}, ` +
    `sysFlag=${m.sysFlag}, bornTimestamp=${m.bornTimestamp}, bornHost=/${m.bornHost}, storeTimestamp=${m.storeTimestamp}, ` +
    `storeHost=/${m.storeHost}, msgId=${m.msgId}, commitLogOffset=${m.commitLogOffset}, bodyCRC=${m.bodyCRC}, ` +
    `reconsumeTimes=${m.reconsumeTimes}, preparedTransactionOffset=${m.preparedTransactionOffset}, ` +
    `toString()=Message{topic='${m.topic}', flag=${m.flag}, properties=${javaMapString(m.properties)}, body=${javaBytes(m.body)}, ` +
    `transactionId='${transactionId}'}]`
  );
}

export { versionDesc } from '../net/codes.js';
