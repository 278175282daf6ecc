import { PROPERTY, findProperty, decodeMessage } from '../../../store/index.js';
import { RequestCode, ResponseCode } from '../../codes.js';
import type { RemotingCommand } from '../../remoting-command.js';
import type { BrokerContext } from '../broker-context.js';
import { BrokerError } from '../broker-error.js';
import { optLong, reqInt, reqLong, reqString } from '../request-header.js';
import { checkTopic } from '../topic-validator.js';
import { guarded, success, type ProcessorTable } from './processor-support.js';

/**
 * QUERY_MESSAGE (12) over the index, by a `KEYS` entry or, with `_UNIQUE_KEY_QUERY=true`, by the
 * client message id (UNIQ_KEY); VIEW_MESSAGE_BY_ID (33) by commit log offset. Index hits are
 * hash matches, so records are checked against the key before they are returned.
 */
export function queryProcessors(ctx: BrokerContext): ProcessorTable {
  return [
    [RequestCode.QUERY_MESSAGE, guarded(ctx.logger, 'query message', (req) => queryMessage(ctx, req))],
    [RequestCode.VIEW_MESSAGE_BY_ID, guarded(ctx.logger, 'view message', (req) => {
      const offset = reqLong(req.extFields, 'offset');
      const record = offset >= 0 ? ctx.store.selectOneMessageByOffset(offset) : null;
      if (!record) throw new BrokerError(ResponseCode.SYSTEM_ERROR, `can not find message by the offset, ${offset}`);
      return success(req, undefined, record);
    })],
  ];
}

async function queryMessage(ctx: BrokerContext, req: RemotingCommand): Promise<RemotingCommand> {
  const h = req.extFields;
  const topic = checkTopic(reqString(h, 'topic'));
  const key = reqString(h, 'key');
  const unique = String(h._UNIQUE_KEY_QUERY ?? '').toLowerCase() === 'true';
  const maxNum = unique ? ctx.config.defaultQueryMaxNum : reqInt(h, 'maxNum');
  const begin = optLong(h, 'beginTimestamp', 0);
  const end = optLong(h, 'endTimestamp', Number.MAX_SAFE_INTEGER);
  const r = await ctx.store.queryMessage(topic, key, maxNum, begin, end);
  const records = r.messages.filter((m) => matchesKey(m, topic, key, unique));
  const ext = { indexLastUpdateTimestamp: r.indexLastUpdateTimestamp, indexLastUpdatePhyoffset: r.indexLastUpdatePhyoffset };
  if (records.length === 0) {
    const res = success(req, ext);
    res.code = ResponseCode.QUERY_NOT_FOUND;
    res.remark = 'can not find message, maybe time range not correct';
    return res;
  }
  return success(req, ext, Buffer.concat(records));
}

function matchesKey(record: Buffer, topic: string, key: string, unique: boolean): boolean {
  const m = decodeMessage(record, 0);
  if (m.topic !== topic) return false;
  if (unique) return findProperty(m.propertiesString, PROPERTY.UNIQ_KEY) === key;
  const keys = findProperty(m.propertiesString, PROPERTY.KEYS);
  return keys !== undefined && keys.split(' ').includes(key);
}
