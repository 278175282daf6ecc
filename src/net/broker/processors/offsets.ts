import { RequestCode } from '../../codes.js';
import type { BrokerContext } from '../broker-context.js';
import { reqInt, reqLong, reqString } from '../request-header.js';
import { guarded, jsonBody, success, type ProcessorTable } from './processor-support.js';

/**
 * Queue offset queries: GET_MAX_OFFSET (30), GET_MIN_OFFSET (31), SEARCH_OFFSET_BY_TIMESTAMP (29),
 * GET_EARLIEST_MSG_STORETIME (32), and the offset tables slaves and tools copy:
 * GET_ALL_CONSUMER_OFFSET (43), GET_ALL_DELAY_OFFSET (45).
 */
export function offsetProcessors(ctx: BrokerContext): ProcessorTable {
  const { store, logger } = ctx;
  const q = (h: Record<string, string>) => [reqString(h, 'topic'), reqInt(h, 'queueId')] as const;
  return [
    [RequestCode.GET_MAX_OFFSET, guarded(logger, 'get max offset', (req) => success(req, { offset: store.getMaxOffsetInQueue(...q(req.extFields)) }))],
    [RequestCode.GET_MIN_OFFSET, guarded(logger, 'get min offset', (req) => success(req, { offset: store.getMinOffsetInQueue(...q(req.extFields)) }))],
    [RequestCode.SEARCH_OFFSET_BY_TIMESTAMP, guarded(logger, 'search offset', (req) => {
      const [topic, queueId] = q(req.extFields);
      return success(req, { offset: store.getOffsetInQueueByTime(topic, queueId, reqLong(req.extFields, 'timestamp')) });
    })],
    [RequestCode.GET_EARLIEST_MSG_STORETIME, guarded(logger, 'earliest msg time', (req) => success(req, { timestamp: store.getEarliestMessageTime(...q(req.extFields)) }))],
    [RequestCode.GET_ALL_CONSUMER_OFFSET, guarded(logger, 'all consumer offsets', (req) => success(req, undefined, jsonBody(ctx.offsets.encode())))],
    [RequestCode.GET_ALL_DELAY_OFFSET, guarded(logger, 'all delay offsets', (req) => success(req, undefined, jsonBody(ctx.schedule.encode())))],
  ];
}
