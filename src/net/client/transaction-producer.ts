import { PROPERTY, decodeOffsetMsgId } from '../../store/index.js';
import { RequestCode } from '../codes.js';
import { RemotingCommand } from '../remoting-command.js';
import { MQClientError, errorMessage, illegalArgument } from './errors.js';
import { Message, type MessageExt } from './message.js';
import { traceEndTransaction } from './trace-dispatcher.js';
import { Producer, type ProducerOptions } from './producer.js';
import type { SendResult } from './send-request.js';

/** What a local transaction came to (Java's LocalTransactionState, spelling included). */
export type LocalTransactionState = 'COMMIT_MESSAGE' | 'ROLLBACK_MESSAGE' | 'UNKNOW';

/**
 * The application's side of a transaction: run it after the half message is stored, and answer
 * the broker's check-back for a half whose outcome it never heard (UNKNOW, or a lost END_TRANSACTION).
 */
export interface TransactionListener {
  executeLocalTransaction(msg: Message, arg: unknown): LocalTransactionState | Promise<LocalTransactionState>;
  checkLocalTransaction(msg: MessageExt): LocalTransactionState | Promise<LocalTransactionState>;
}

export interface TransactionSendResult extends SendResult {
  localTransactionState: LocalTransactionState;
  transactionId: string;
}

export interface TransactionProducerOptions extends ProducerOptions {
  transactionListener: TransactionListener;
}

const COMMIT_OR_ROLLBACK: Record<LocalTransactionState, number> = { COMMIT_MESSAGE: 0x8, ROLLBACK_MESSAGE: 0xc, UNKNOW: 0 };

/**
 * TransactionMQProducer: `sendMessageInTransaction` stores a half message (invisible to consumers),
 * runs the local transaction, then tells the broker to commit or roll back (END_TRANSACTION,
 * oneway, as Java's client). A half left UNKNOW, or whose END_TRANSACTION was lost, is checked
 * back by the broker later: `checkLocalTransaction` answers, and the answer goes back the same way.
 */
export class TransactionProducer extends Producer {
  private readonly listener: TransactionListener;

  constructor(opts: TransactionProducerOptions) {
    const { transactionListener, ...rest } = opts;
    super(rest);
    if (!transactionListener) throw illegalArgument('a TransactionProducer needs a transactionListener');
    this.listener = transactionListener;
  }

  async sendMessageInTransaction(msg: Message, arg?: unknown): Promise<TransactionSendResult> {
    if (!(msg instanceof Message)) throw illegalArgument('not a Message');
    // A half message cannot be delayed (Java clears the level too).
    msg.properties.delete(PROPERTY.DELAY);
    msg.properties.set(PROPERTY.TRAN_MSG, 'true');
    msg.properties.set(PROPERTY.PGROUP, this.group);
    let sent: SendResult;
    try {
      sent = await this.send(msg);
    } catch (e) {
      throw new MQClientError('SEND_FAILED', `send message in transaction failed: ${errorMessage(e)}`, { cause: e });
    }
    const transactionId = msg.uniqKey ?? sent.msgId;
    let state: LocalTransactionState = 'ROLLBACK_MESSAGE';
    let failure: unknown;
    if (sent.sendStatus === 'SEND_OK') {
      try {
        state = await this.listener.executeLocalTransaction(msg, arg);
      } catch (e) {
        failure = e;
        state = 'UNKNOW';
        this.logger.warn('local transaction %s threw, its state is unknown until checked: %s', transactionId, errorMessage(e));
      }
    }
    const brokerAddr = this.instance?.findBrokerAddrInPublish(sent.messageQueue.brokerName);
    if (brokerAddr) {
      const remark = failure === undefined ? undefined : `executeLocalTransactionBranch exception: ${errorMessage(failure)}`;
      if (this.tracer) traceEndTransaction(this.tracer, this.group, msg, sent.msgId, transactionId, state, false, brokerAddr);
      this.endTransaction(brokerAddr, {
        tranStateTableOffset: sent.queueOffset,
        commitLogOffset: decodeOffsetMsgId(sent.offsetMsgId).offset,
        msgId: sent.msgId,
        transactionId,
        fromTransactionCheck: false,
      }, state, remark);
    }
    return { ...sent, localTransactionState: state, transactionId };
  }

  /** A broker's check-back (via the client instance): ask the listener, answer the same broker. */
  checkTransactionState(brokerAddr: string, msg: MessageExt, header: Readonly<Record<string, string>>): void {
    const transactionId = header.transactionId || msg.properties[PROPERTY.UNIQ_KEY] || msg.msgId;
    msg.topic = this.ns.unwrap(msg.topic);
    Promise.resolve()
      .then(() => this.listener.checkLocalTransaction(msg))
      .catch((e: unknown): LocalTransactionState => {
        this.logger.warn('checking local transaction %s threw: %s', transactionId, errorMessage(e));
        return 'UNKNOW';
      })
      .then((state) => {
        if (this.tracer) traceEndTransaction(this.tracer, this.group, { topic: msg.topic, tags: msg.tags, keys: msg.keys, properties: new Map(Object.entries(msg.properties)) }, header.msgId || msg.msgId, transactionId, state, true, brokerAddr);
        this.endTransaction(brokerAddr, {
          tranStateTableOffset: Number(header.tranStateTableOffset),
          commitLogOffset: Number(header.commitLogOffset),
          msgId: header.msgId || msg.msgId,
          transactionId,
          fromTransactionCheck: true,
        }, state);
      });
  }

  private endTransaction(
    addr: string,
    h: { tranStateTableOffset: number; commitLogOffset: number; msgId: string; transactionId: string; fromTransactionCheck: boolean },
    state: LocalTransactionState,
    remark?: string,
  ): void {
    const inst = this.instance;
    if (!inst) return;
    const cmd = RemotingCommand.createRequest(RequestCode.END_TRANSACTION, { producerGroup: this.group, ...h, commitOrRollback: COMMIT_OR_ROLLBACK[state] });
    if (remark) cmd.remark = remark;
    inst.remoting.invokeOneway(addr, cmd).catch((e: unknown) => this.logger.warn('end transaction %s on %s failed (the broker will check back): %s', h.transactionId, addr, errorMessage(e)));
  }
}
