import { PROPERTY, decodeOffsetMsgId, decodeProperties } from '../../../store/index.js';
import { RequestCode, ResponseCode } from '../../codes.js';
import { RemotingCommand } from '../../remoting-command.js';
import type { BrokerContext } from '../broker-context.js';
import { BrokerError } from '../broker-error.js';
import { optBool, reqInt, reqLong, reqString } from '../request-header.js';
import { inputFromStored } from '../stored-to-input.js';
import { HALF_TOPIC, TRANSACTION_CHECK_TIMES, TRANS_CHECK_MAX_TIME_TOPIC, TransactionType, committedFromHalf, opMessage } from '../transaction-messages.js';
import { guarded, type ProcessorTable } from './processor-support.js';

/**
 * END_TRANSACTION (37), RocketMQ 4.9's EndTransactionProcessor: a producer (after its local
 * transaction, or answering a check-back) commits or rolls back a half message. The half is
 * found by commit log offset and must be the one the header names (its producer group, half
 * queue offset and offset); a commit stores the real message, and either way an op message
 * marks the half done so the check service leaves it alone. Unknown (0) changes nothing.
 */
export function endTransactionProcessors(ctx: BrokerContext): ProcessorTable {
  return [
    [RequestCode.END_TRANSACTION, guarded(ctx.logger, 'end transaction', (req) => endTransaction(ctx, req))],
    [RequestCode.RESUME_CHECK_HALF_MESSAGE, guarded(ctx.logger, 'resume check half message', (req) => resumeCheckHalf(ctx, req))],
  ];
}

/**
 * RESUME_CHECK_HALF_MESSAGE (323): a half given up after transactionCheckMax checks (kept in
 * TRANS_CHECK_MAX_TIME_TOPIC), named by its offset message id, goes back to the half queue with
 * its check count at 0, so its producer is asked again. RocketMQ re-puts whatever message the id
 * names; only halves are taken here, as anything else would be checked with a producer that never
 * sent it.
 */
async function resumeCheckHalf(ctx: BrokerContext, req: RemotingCommand): Promise<RemotingCommand> {
  const refuse = (why: string) => {
    ctx.logger.warn(`resume check half message ${req.extFields.msgId ?? '(no id)'}: ${why}`);
    return RemotingCommand.createResponse(req, ResponseCode.SYSTEM_ERROR, `Exception was thrown when putting message back to RMQ_SYS_TRANS_HALF_TOPIC: ${why}`);
  };
  if (ctx.storeConfig.brokerRole === 'SLAVE') throw new BrokerError(ResponseCode.SLAVE_NOT_AVAILABLE, 'the broker is a slave, it cannot resume halves');
  let offset: number;
  try {
    offset = decodeOffsetMsgId(req.extFields.msgId ?? '').offset;
  } catch (e) {
    return refuse((e as Error).message);
  }
  const m = ctx.store.lookMessageByOffset(offset);
  if (!m) return refuse(`no message at commit log offset ${offset}`);
  if (m.topic !== TRANS_CHECK_MAX_TIME_TOPIC && m.topic !== HALF_TOPIC) return refuse(`the message is in ${m.topic}, not a transaction half`);
  const props = decodeProperties(m.propertiesString);
  props.set(TRANSACTION_CHECK_TIMES, '0');
  const put = await ctx.store.putMessage(inputFromStored(m, HALF_TOPIC, 0, props));
  if (put.status !== 'PUT_OK') return RemotingCommand.createResponse(req, ResponseCode.SYSTEM_ERROR, 'Put message back to RMQ_SYS_TRANS_HALF_TOPIC failed.');
  return RemotingCommand.createResponse(req, ResponseCode.SUCCESS);
}

async function endTransaction(ctx: BrokerContext, req: RemotingCommand): Promise<RemotingCommand | null> {
  if (ctx.storeConfig.brokerRole === 'SLAVE') {
    throw new BrokerError(ResponseCode.SLAVE_NOT_AVAILABLE, 'the broker is a slave, it cannot end transactions');
  }
  const h = req.extFields;
  const producerGroup = reqString(h, 'producerGroup');
  const tranStateTableOffset = reqLong(h, 'tranStateTableOffset');
  const commitLogOffset = reqLong(h, 'commitLogOffset');
  const type = reqInt(h, 'commitOrRollback');
  const fromCheck = optBool(h, 'fromTransactionCheck');
  if (type !== TransactionType.COMMIT && type !== TransactionType.ROLLBACK) {
    if (type !== TransactionType.NOT) throw new BrokerError(ResponseCode.SYSTEM_ERROR, `commitOrRollback ${type} is none of 0, 8, 12`);
    if (fromCheck) ctx.logger.warn(`producer group ${producerGroup} does not know the state of half ${commitLogOffset} yet: it will be checked again`);
    return null;
  }
  const half = ctx.store.lookMessageByOffset(commitLogOffset);
  if (!half) throw new BrokerError(ResponseCode.SYSTEM_ERROR, `find prepared transaction message failed: no message at ${commitLogOffset}`);
  if (half.topic !== HALF_TOPIC || half.commitLogOffset !== commitLogOffset || half.queueOffset !== tranStateTableOffset) {
    throw new BrokerError(ResponseCode.SYSTEM_ERROR, `the message at ${commitLogOffset} is not the half message at queue offset ${tranStateTableOffset}`);
  }
  if (half.properties[PROPERTY.PGROUP] !== producerGroup) {
    throw new BrokerError(ResponseCode.SYSTEM_ERROR, `the producer group ${producerGroup} is not the half message's (${half.properties[PROPERTY.PGROUP] ?? 'none'})`);
  }
  if (type === TransactionType.COMMIT) {
    const r = await ctx.store.putMessage(committedFromHalf(half));
    if (r.status !== 'PUT_OK') {
      return RemotingCommand.createResponse(req, ResponseCode.SYSTEM_ERROR, `the committed message was stored with status ${r.status}`);
    }
  }
  await ctx.store.putMessage(opMessage(half, ctx.storeHost));
  return RemotingCommand.createResponse(req, ResponseCode.SUCCESS);
}
