import { RequestCode, ResponseCode } from '../../codes.js';
import { RemotingCommand } from '../../remoting-command.js';
import { RemotingTimeoutError } from '../../remoting-error.js';
import type { BrokerContext } from '../broker-context.js';
import { guarded, type ProcessorTable } from './processor-support.js';

/** How long a relayed call waits for the client (Broker2Client.callClient: 10 s). */
const CALL_CLIENT_TIMEOUT_MS = 10_000;

/**
 * Admin requests a broker relays to one consumer client (AdminBrokerProcessor.callConsumer):
 * GET_CONSUMER_RUNNING_INFO (307), what `mqadmin consumerStatus` and the dashboard show. The
 * client's answer is passed back as it came: code, remark, header and body.
 */
export function clientCallProcessors(ctx: BrokerContext): ProcessorTable {
  const relay = (code: number) =>
    guarded(ctx.logger, 'call consumer', async (req) => {
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
  return [[RequestCode.GET_CONSUMER_RUNNING_INFO, relay(RequestCode.GET_CONSUMER_RUNNING_INFO)]];
}
