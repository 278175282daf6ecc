import { decodeOffsetMsgId } from '../../../store/index.js';
import { RequestCode, ResponseCode } from '../../codes.js';
import { RemotingCommand } from '../../remoting-command.js';
import { RemotingTimeoutError } from '../../remoting-error.js';
import type { BrokerContext } from '../broker-context.js';
import { BrokerError } from '../broker-error.js';
import { guarded, type ProcessorTable } from './processor-support.js';

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
  ];
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
