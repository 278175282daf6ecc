import { decodeOffsetMsgId } from '../../../store/index.js';
import { MQVersion, RequestCode, ResponseCode, versionDesc } from '../../codes.js';
import { parseLenientJson } from '../../lenient-json.js';
import { RemotingCommand } from '../../remoting-command.js';
import { RemotingTimeoutError } from '../../remoting-error.js';
import type { BrokerContext } from '../broker-context.js';
import { BrokerError } from '../broker-error.js';
import { reqString } from '../request-header.js';
import { guarded, mqKey, objectKeyedMap, type ProcessorTable } from './processor-support.js';

/** How long a relayed call waits for the client (Broker2Client.callClient: 10 s). */
const CALL_CLIENT_TIMEOUT_MS = 10_000;

/**
 * Admin requests a broker relays to one consumer client (AdminBrokerProcessor.callConsumer):
 * GET_CONSUMER_RUNNING_INFO (307), what `mqadmin consumerStatus` and the dashboard show, and
 * CONSUME_MESSAGE_DIRECTLY (309), which hands one stored message (by its offset message id) to
 * that client's listener (`mqadmin queryMsgById -g -d`, the dashboard's "resend"). The client's
 * answer is passed back as it came: code, remark, header and body.
 */
export function clientCallProcessors(ctx: BrokerContext): ProcessorTable {
  const relay = (code: number) =>
    guarded(ctx.logger, 'call consumer', async (req) => {
      if (code === RequestCode.CONSUME_MESSAGE_DIRECTLY) attachMessage(ctx, req);
      const group = req.extFields.consumerGroup ?? '';
      const clientId = req.extFields.clientId ?? '';
      const channel = [...(ctx.consumers.group(group)?.channels.values() ?? [])].find((c) => c.clientId === clientId);
      if (!channel) return RemotingCommand.createResponse(req, ResponseCode.SYSTEM_ERROR, `The Consumer <${group}> <${clientId}> not online`);
      try {
        const res = await channel.conn.invoke(RemotingCommand.createRequest(code, { ...req.extFields }, req.body), CALL_CLIENT_TIMEOUT_MS);
        return RemotingCommand.createResponse(req, res.code, res.remark, res.extFields, res.body);
      } catch (e) {
        if (e instanceof RemotingTimeoutError) {
          return RemotingCommand.createResponse(req, ResponseCode.CONSUME_MSG_TIMEOUT, `consumer <${group}> <${clientId}> Timeout: ${e.message}`);
        }
        return RemotingCommand.createResponse(req, ResponseCode.SYSTEM_ERROR, `invoke consumer <${group}> <${clientId}> Exception: ${(e as Error).message}`);
      }
    });
  return [
    [RequestCode.GET_CONSUMER_RUNNING_INFO, relay(RequestCode.GET_CONSUMER_RUNNING_INFO)],
    [RequestCode.CONSUME_MESSAGE_DIRECTLY, relay(RequestCode.CONSUME_MESSAGE_DIRECTLY)],
    [RequestCode.INVOKE_BROKER_TO_GET_CONSUMER_STATUS, guarded(ctx.logger, 'get consumer status', (req) => consumerStatus(ctx, req))],
  ];
}

/** How long the broker waits for each client's offsets (Broker2Client.getConsumeStatus: 5 s). */
const CONSUMER_STATUS_TIMEOUT_MS = 5000;

/**
 * INVOKE_BROKER_TO_GET_CONSUMER_STATUS (223): the offsets each online member of a group holds in
 * memory for a topic (GET_CONSUMER_STATUS_FROM_CLIENT, 221), or one member's when `clientAddr`
 * names its client id. A member that fails to answer is left out, as in Java; a group with nobody
 * online is refused (Java answers that with a NullPointerException).
 */
async function consumerStatus(ctx: BrokerContext, req: RemotingCommand): Promise<RemotingCommand> {
  const topic = reqString(req.extFields, 'topic');
  const group = reqString(req.extFields, 'group');
  const clientId = req.extFields.clientAddr ?? '';
  const channels = [...(ctx.consumers.group(group)?.channels.values() ?? [])];
  if (channels.length === 0) throw new BrokerError(ResponseCode.SYSTEM_ERROR, `No Any Consumer online in the consumer group: [${group}]`);
  const tables: string[] = [];
  for (const ch of channels) {
    if (ch.version < MQVersion.V3_0_7_SNAPSHOT) {
      throw new BrokerError(ResponseCode.SYSTEM_ERROR, `the client does not support this feature. version=${versionDesc(ch.version)}`);
    }
    if (clientId !== '' && clientId !== ch.clientId) continue;
    try {
      const res = await ch.conn.invoke(RemotingCommand.createRequest(RequestCode.GET_CONSUMER_STATUS_FROM_CLIENT, { topic, group }), CONSUMER_STATUS_TIMEOUT_MS);
      if (res.code === ResponseCode.SUCCESS && res.body) {
        const table = (parseLenientJson(res.body.toString('utf8')) as { messageQueueTable?: unknown } | null)?.messageQueueTable;
        const entries: [string, unknown][] = [];
        if (table instanceof Map) {
          for (const [k, v] of table as Map<Record<string, unknown>, unknown>) entries.push([mqKey(String(k.brokerName), String(k.topic), Number(k.queueId)), Number(v)]);
        }
        tables.push(`${JSON.stringify(ch.clientId)}:${objectKeyedMap(entries)}`);
      }
    } catch (e) {
      ctx.logger.warn('get consumer status of %s from %s failed: %s', group, ch.clientId, (e as Error).message);
    }
    if (clientId !== '') break;
  }
  return RemotingCommand.createResponse(req, ResponseCode.SUCCESS, undefined, undefined, Buffer.from(`{"consumerTable":{${tables.join(',')}},"messageQueueTable":{}}`));
}

/** The record the msgId names goes along as the body, with this broker's name (consumeMessageDirectly). */
function attachMessage(ctx: BrokerContext, req: RemotingCommand): void {
  req.extFields.brokerName = ctx.config.brokerName;
  let offset: number;
  try {
    offset = decodeOffsetMsgId(req.extFields.msgId ?? '').offset;
  } catch {
    throw new BrokerError(ResponseCode.SYSTEM_ERROR, `bad message id ${req.extFields.msgId ?? '(none)'}`);
  }
  const record = ctx.store.selectOneMessageByOffset(offset);
  if (!record) throw new BrokerError(ResponseCode.SYSTEM_ERROR, `can not find message by the offset, ${offset}`);
  req.body = record;
}
