import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { RUNNING_INFO_PROP, formatMessageQueue, type ConsumerRunningInfo, type ProcessQueueInfo } from '../net/client/index.js';
import { opt, str } from './cli-args.js';
import { fixed, left, right, versionDesc } from './format.js';
import { type SubCommand, withAdmin } from './sub-command.js';
import { makeDirs } from '../store/make-dirs.js';

/** `mqadmin consumerStatus` (ConsumerStatusSubCommand) and ConsumerRunningInfo.formatString. */

const p2 = (n: number, w = 2): string => String(n).padStart(w, '0');

/** UtilAll.timeMillisToHumanString: yyyyMMddHHmmssSSS, local time. */
function compactTime(ms: number): string {
  const d = new Date(ms);
  return `${p2(d.getFullYear(), 4)}${p2(d.getMonth() + 1)}${p2(d.getDate())}${p2(d.getHours())}${p2(d.getMinutes())}${p2(d.getSeconds())}${p2(d.getMilliseconds(), 3)}`;
}

function pqString(q: ProcessQueueInfo): string {
  return (
    `ProcessQueueInfo [commitOffset=${q.commitOffset}, cachedMsgMinOffset=${q.cachedMsgMinOffset}, cachedMsgMaxOffset=${q.cachedMsgMaxOffset}, ` +
    `cachedMsgCount=${q.cachedMsgCount}, cachedMsgSizeInMiB=${q.cachedMsgSizeInMiB}, transactionMsgMinOffset=${q.transactionMsgMinOffset}, ` +
    `transactionMsgMaxOffset=${q.transactionMsgMaxOffset}, transactionMsgCount=${q.transactionMsgCount}, locked=${q.locked}, ` +
    `tryUnlockTimes=${q.tryUnlockTimes}, lastLockTimestamp=${compactTime(q.lastLockTimestamp)}, droped=${q.droped}, ` +
    `lastPullTimestamp=${compactTime(q.lastPullTimestamp)}, lastConsumeTimestamp=${compactTime(q.lastConsumeTimestamp)}]`
  );
}

/** ConsumerRunningInfo.formatString (properties sorted: Java prints a Properties table in hash order). */
export function formatRunningInfo(info: ConsumerRunningInfo): string {
  const out: string[] = ['#Consumer Properties#\n'];
  for (const k of Object.keys(info.properties).sort()) out.push(`${left(k, 40)}: ${info.properties[k]}\n`);
  out.push('\n\n#Consumer Subscription#\n');
  info.subscriptionSet.forEach((s, i) => out.push(`${p2(i + 1, 3)} Topic: ${left(s.topic, 40)} ClassFilter: ${left(Boolean(s.classFilterMode), 8)} SubExpression: ${s.subString}\n`));
  const head = `${left('#Topic', 32)}  ${left('#Broker Name', 32)}  ${left('#QID', 4)}  `;
  out.push('\n\n#Consumer Offset#\n', `${head}${left('#Consumer Offset', 20)}\n`);
  for (const [mq, q] of info.mqTable) out.push(`${left(mq.topic, 32)}  ${left(mq.brokerName, 32)}  ${left(mq.queueId, 4)}  ${left(q.commitOffset, 20)}\n`);
  out.push('\n\n#Consumer MQ Detail#\n', `${head}${left('#ProcessQueueInfo', 20)}\n`);
  for (const [mq, q] of info.mqTable) out.push(`${left(mq.topic, 32)}  ${left(mq.brokerName, 32)}  ${left(mq.queueId, 4)}  ${pqString(q)}\n`);
  out.push('\n\n#Consumer RT&TPS#\n');
  out.push(`${left('#Topic', 32)}  ${right('#Pull RT', 14)} ${right('#Pull TPS', 14)} ${right('#Consume RT', 14)} ${right('#ConsumeOK TPS', 14)} ${right('#ConsumeFailed TPS', 18)} ${right('#ConsumeFailedMsgsInHour', 25)}\n`);
  for (const topic of Object.keys(info.statusTable).sort()) {
    const s = info.statusTable[topic]!;
    out.push(`${left(topic, 32)}  ${right(fixed(s.pullRT, 2), 14)} ${right(fixed(s.pullTPS, 2), 14)} ${right(fixed(s.consumeRT, 2), 14)} ${right(fixed(s.consumeOKTPS, 2), 14)} ${right(fixed(s.consumeFailedTPS, 2), 18)} ${right(s.consumeFailedMsgs, 25)}\n`);
  }
  if (info.jstack !== undefined) out.push('\n\n#Consumer jstack#\n', info.jstack);
  return out.join('');
}

const subKey = (info: ConsumerRunningInfo): string =>
  JSON.stringify(info.subscriptionSet.map((s) => [s.topic, s.subString, s.expressionType ?? 'TAG']).sort());

/** ConsumerRunningInfo.analyzeSubscription: push members started over 2 minutes ago must agree. */
export function sameSubscription(table: Map<string, ConsumerRunningInfo>, now = Date.now()): boolean {
  const first = [...table.values()][0]!;
  const push = first.properties[RUNNING_INFO_PROP.CONSUME_TYPE] === 'CONSUME_PASSIVELY';
  const started = Number(first.properties[RUNNING_INFO_PROP.CONSUMER_START_TIMESTAMP] ?? now);
  if (!push || now - started <= 2 * 60_000) return true;
  const key = subKey(first);
  for (const info of table.values()) if (subKey(info) !== key) return false;
  return first.subscriptionSet.length > 0;
}

/** ConsumerRunningInfo.analyzeProcessQueue: queues holding messages nobody consumed for a minute. */
export function analyzeProcessQueue(clientId: string, info: ConsumerRunningInfo, now = Date.now()): string {
  if (info.properties[RUNNING_INFO_PROP.CONSUME_TYPE] !== 'CONSUME_PASSIVELY') return '';
  let out = '';
  for (const [mq, q] of info.mqTable) {
    const idle = now - q.lastConsumeTimestamp;
    if (idle > 60_000 && q.cachedMsgCount > 0) out += `${clientId} ${formatMessageQueue(mq)} can't consume for a while, maybe blocked, ${idle}ms\n`;
  }
  return out;
}

export const consumerStatus: SubCommand = {
  name: 'consumerStatus',
  desc: 'Query consumer\'s internal data structure',
  options: [opt('g', 'consumerGroup', true, 'consumer group name', true), opt('i', 'clientId', true, 'The consumer\'s client id'), opt('s', 'jstackEnable', false, 'Run jstack command in the consumer progress')],
  run: (ctx) =>
    withAdmin(ctx, async (admin) => {
      const group = str(ctx.opts, 'g')!;
      const jstack = ctx.opts.has('s');
      const clientId = str(ctx.opts, 'i');
      if (clientId) {
        ctx.out(formatRunningInfo(await admin.consumerRunningInfo(group, clientId, jstack)));
        return;
      }
      const cc = await admin.examineConsumerConnectionInfo(group);
      const now = Date.now();
      const table = new Map<string, ConsumerRunningInfo>();
      let i = 1;
      for (const c of [...cc.connectionSet].sort((a, b) => (a.clientId < b.clientId ? -1 : 1))) {
        try {
          const info = await admin.consumerRunningInfo(group, c.clientId, jstack);
          table.set(c.clientId, info);
          // Java writes each report to ./<now>/<clientId>; a temp directory keeps the cwd clean.
          const path = join(tmpdir(), 'rocketmq', 'consumerStatus', String(now), c.clientId.replace(/[/\\]/g, '_'));
          makeDirs(dirname(path));
          writeFileSync(path, formatRunningInfo(info));
          ctx.out(`${p2(i++, 3)}  ${left(c.clientId, 40)} ${left(versionDesc(c.version), 20)} ${path}\n`);
        } catch (e) {
          ctx.logger.warn('running info of %s: %s', c.clientId, (e as Error).message);
        }
      }
      if (table.size === 0) return;
      if (!sameSubscription(table, now)) {
        ctx.out('\n\nWARN: Different subscription in the same group of consumer!!!');
        return;
      }
      ctx.out('\n\nSame subscription in the same group of consumer');
      ctx.out('\n\nRebalance OK\n');
      for (const [id, info] of table) ctx.out(analyzeProcessQueue(id, info, now));
    }),
};
