import { PROPERTY, decodeMessage, decodeProperties, type StoredMessage } from '../../store/index.js';
import { inputFromStored } from './stored-to-input.js';
import { PERM } from './topic-config.js';
import { RequestCode } from '../codes.js';
import { RemotingCommand } from '../remoting-command.js';
import type { BrokerContext } from './broker-context.js';
import {
  CHECK_IMMUNITY_TIME_IN_SECONDS,
  HALF_TOPIC,
  OP_HALF_TOPIC,
  TRANS_CHECK_MAX_TIME_TOPIC,
  HALF_TRANSACTION_ID,
  TRANS_CHECK_GROUP,
  checkBody,
  checkTimes,
  recheckedHalf,
  transactionId,
} from './transaction-messages.js';

/** Longest one pass may run (RocketMQ: MAX_PROCESS_TIME_LIMIT). */
const MAX_PASS_MS = 60_000;
const BATCH = 32;

/**
 * Asks producers about half messages nobody ended (RocketMQ's TransactionalMessageCheckService):
 * every `transactionCheckInterval` it walks the half queue from its progress offset, skipping
 * halves an op message marks done, and for each half older than `transactionTimeOut` (or its
 * CHECK_IMMUNITY_TIME_IN_SECONDS) appends a copy with its check count raised, then sends
 * CHECK_TRANSACTION_STATE for the copy to one live producer of the half's group; the producer
 * answers with END_TRANSACTION. A half checked `transactionCheckMax` times is given up (kept in
 * TRANS_CHECK_MAX_TIME_TOPIC). Progress
 * is kept as consumer offsets of CID_RMQ_SYS_TRANS on both system topics, so it survives
 * restarts. A pass stops at the first half still too young: those after it are younger.
 *
 * A crash can leave one transaction with several live copies: its progress is written after the
 * copies, so a restart walks again over halves already copied. A transaction is therefore checked
 * once per pass whatever its copies, and not at all once an op ended any copy of it (ops name the
 * transaction too): otherwise each crash doubled the copies of every open transaction, and a
 * transaction committed through one copy was checked, and committed, again through another.
 */
export class TransactionCheckService {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  /** Check-backs sent and halves given up (tests and logs). */
  checksSent = 0;
  discarded = 0;

  constructor(private readonly ctx: BrokerContext) {}

  start(): void {
    this.timer = setInterval(() => void this.checkNow(), this.ctx.config.transactionCheckInterval);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /** One pass (at most one at a time). */
  checkNow(): Promise<void> {
    this.running ??= this.pass()
      .catch((e: unknown) => this.ctx.logger.error(`transaction check failed: ${(e as Error).stack ?? e}`))
      .finally(() => (this.running = null));
    return this.running;
  }

  private async pass(): Promise<void> {
    const { store, offsets, config, logger } = this.ctx;
    const halfMax = store.getMaxOffsetInQueue(HALF_TOPIC, 0);
    let halfOffset = offsets.query(TRANS_CHECK_GROUP, HALF_TOPIC, 0);
    if (halfOffset < 0) halfOffset = store.getMinOffsetInQueue(HALF_TOPIC, 0);
    if (halfOffset >= halfMax) return;
    const ops = this.readOps();
    const done = new Set(ops.map((o) => o.halfOffset));
    const ended = new Set(ops.map((o) => o.transactionId).filter((t) => t !== null));
    /** Transactions checked (or given up) in this pass. */
    const handled = new Set<string>();
    let appended = false;
    const started = Date.now();
    for (const half of queueMessages(this.ctx, HALF_TOPIC, halfOffset, halfMax)) {
      if (Date.now() - started >= MAX_PASS_MS) break;
      const tx = transactionId(half);
      if (!done.has(half.queueOffset) && !(tx !== null && (ended.has(tx) || handled.has(tx)))) {
        if (checkTimes(half) >= config.transactionCheckMax) {
          if (!(await this.giveUp(half))) break;
        } else {
          const immunity = Number(half.properties[CHECK_IMMUNITY_TIME_IN_SECONDS] ?? 0) * 1000;
          if (Date.now() - half.storeTimestamp < Math.max(config.transactionTimeOut, immunity || 0)) break;
          if (!(await this.checkBack(half))) break;
        }
        appended = true;
        if (tx !== null) handled.add(tx);
      }
      halfOffset = half.queueOffset + 1;
    }
    offsets.commit(TRANS_CHECK_GROUP, HALF_TOPIC, 0, halfOffset);
    // Op messages are done with once the half they name is behind the progress offset.
    let opOffset = offsets.query(TRANS_CHECK_GROUP, OP_HALF_TOPIC, 0);
    for (const o of ops) {
      if (o.halfOffset >= halfOffset) break;
      opOffset = o.opOffset + 1;
    }
    if (opOffset >= 0) offsets.commit(TRANS_CHECK_GROUP, OP_HALF_TOPIC, 0, opOffset);
    // Written now, not at the next periodic flush: a crash before it would walk this pass's halves
    // again, copying each a second time.
    if (appended) await offsets.persist();
  }

  /** Op messages from the progress offset on: which half (queue offset, transaction) each marks done. */
  private readOps(): { opOffset: number; halfOffset: number; transactionId: string | null }[] {
    const { store, offsets } = this.ctx;
    let from = offsets.query(TRANS_CHECK_GROUP, OP_HALF_TOPIC, 0);
    if (from < 0) from = store.getMinOffsetInQueue(OP_HALF_TOPIC, 0);
    const out: { opOffset: number; halfOffset: number; transactionId: string | null }[] = [];
    for (const op of queueMessages(this.ctx, OP_HALF_TOPIC, from, store.getMaxOffsetInQueue(OP_HALF_TOPIC, 0))) {
      const halfOffset = Number(op.body.toString());
      if (Number.isInteger(halfOffset)) out.push({ opOffset: op.queueOffset, halfOffset, transactionId: op.properties[HALF_TRANSACTION_ID] ?? null });
    }
    return out;
  }

  /**
   * A half checked transactionCheckMax times is given up: a copy goes to TRANS_CHECK_MAX_TIME_TOPIC
   * (one queue, readable), where an operator can look at it, as RocketMQ 4.9 does.
   */
  private async giveUp(half: StoredMessage): Promise<boolean> {
    const { store, topics, logger } = this.ctx;
    topics.ensure(TRANS_CHECK_MAX_TIME_TOPIC, 1, PERM.READ | PERM.WRITE);
    const put = await store.putMessage(inputFromStored(half, TRANS_CHECK_MAX_TIME_TOPIC, 0, decodeProperties(half.propertiesString)));
    if (put.status !== 'PUT_OK' && put.status !== 'FLUSH_DISK_TIMEOUT') return false;
    this.discarded++;
    logger.warn(`half message ${half.properties[PROPERTY.UNIQ_KEY] ?? half.msgId} of group ${half.properties[PROPERTY.PGROUP]} checked ${checkTimes(half)} times: given up, kept in ${TRANS_CHECK_MAX_TIME_TOPIC}`);
    return true;
  }

  /** Puts the half back with one more check, then asks a producer of its group about the copy. */
  private async checkBack(half: StoredMessage): Promise<boolean> {
    const { store, producers, logger } = this.ctx;
    const put = await store.putMessage(recheckedHalf(half));
    if (put.status !== 'PUT_OK' && put.status !== 'FLUSH_DISK_TIMEOUT') return false;
    const copy = store.lookMessageByOffset(put.wroteOffset);
    if (!copy) return false;
    const group = copy.properties[PROPERTY.PGROUP] ?? '';
    const conn = producers.availableChannel(group);
    if (!conn) {
      logger.warn(`no producer of group ${group} is online to check half message ${copy.properties[PROPERTY.UNIQ_KEY] ?? copy.msgId}`);
      return true;
    }
    const uniq = copy.properties[PROPERTY.UNIQ_KEY] ?? copy.msgId;
    const req = RemotingCommand.createRequest(
      RequestCode.CHECK_TRANSACTION_STATE,
      { tranStateTableOffset: copy.queueOffset, commitLogOffset: copy.commitLogOffset, msgId: uniq, transactionId: uniq, offsetMsgId: copy.msgId },
      checkBody(copy),
    );
    conn.invokeOneway(req);
    this.checksSent++;
    return true;
  }
}

/** The messages of queue 0 of a system topic from `from` up to (not including) `max`, stepping over holes (retention). */
function* queueMessages(ctx: BrokerContext, topic: string, from: number, max: number): Generator<StoredMessage> {
  for (let off = from; off < max; ) {
    const r = ctx.store.getMessage(TRANS_CHECK_GROUP, topic, 0, off, BATCH);
    if (r.status !== 'FOUND') {
      if (r.nextBeginOffset <= off) return;
      off = r.nextBeginOffset;
      continue;
    }
    for (const raw of r.messages) {
      const m = decodeMessage(raw, 0);
      // A batch can reach past `max`: into the copies this pass is appending.
      if (m.queueOffset >= max) return;
      yield m;
      off = m.queueOffset + 1;
    }
  }
}
