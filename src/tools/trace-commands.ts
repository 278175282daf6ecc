import { DEFAULT_TRACE_TOPIC, decodeTraceRecords, type PubRecord, type SubAfterRecord } from '../net/client/trace-data.js';
import { opt, str } from './cli-args.js';
import { formatDateTime, left } from './format.js';
import { type SubCommand, withAdmin } from './sub-command.js';

/** `mqadmin queryMsgTraceById` (QueryMsgTraceByIdSubCommand): a message's trace, as clients wrote it to the trace topic. */

const row = (...cols: [string, string, string, string, string, string]): string =>
  `${left(cols[0], 10)} ${left(cols[1], 20)} ${left(cols[2], 20)} ${left(cols[3], 20)} ${left(cols[4], 10)} ${left(cols[5], 10)}\n`;

export const queryMsgTraceById: SubCommand = {
  name: 'queryMsgTraceById',
  aliases: ['QueryMsgTraceById'],
  desc: 'query a message trace',
  options: [opt('i', 'msgId', true, 'Message Id', true), opt('t', 'traceTopic', true, 'The name value of message trace topic')],
  run: (ctx) =>
    withAdmin(ctx, async (admin) => {
      const msgId = str(ctx.opts, 'i')!;
      const topic = str(ctx.opts, 't') || DEFAULT_TRACE_TOPIC;
      const pubs: { r: PubRecord; host: string }[] = [];
      const subs = new Map<string, { r: SubAfterRecord; host: string }[]>();
      for (const m of await admin.queryMessage(topic, msgId, 64, 0, Date.now())) {
        // The client host is the trace message's sender, as TraceView takes it.
        const host = m.bornHost.slice(0, m.bornHost.lastIndexOf(':'));
        for (const r of decodeTraceRecords(m.body.toString('utf8'))) {
          if (r.msgId !== msgId) continue;
          if (r.type === 'Pub') pubs.push({ r, host });
          else if (r.type === 'SubAfter') subs.set(r.groupName, [...(subs.get(r.groupName) ?? []), { r, host }]);
        }
      }
      const status = (ok: boolean): string => (ok ? 'success' : 'failed');
      for (const { r, host } of pubs) {
        ctx.out(row('#Type', '#ProducerGroup', '#ClientHost', '#SendTime', '#CostTimes', '#Status'));
        ctx.out(row('Pub', r.groupName, host, formatDateTime(r.timeStamp), `${r.costTime}ms`, status(r.success)));
        ctx.out('\n');
      }
      for (const [group, list] of subs) {
        ctx.out(row('#Type', '#ConsumerGroup', '#ClientHost', '#ConsumerTime', '#CostTimes', '#Status'));
        for (const { r, host } of list) ctx.out(row('Sub', group, host, formatDateTime(r.timeStamp), `${r.costTime}ms`, status(r.success)));
        ctx.out('\n');
      }
    }),
};
