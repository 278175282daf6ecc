import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeMessage, decodeOffsetMsgId } from '../../src/store/index.js';
import { RequestCode, ResponseCode } from '../../src/net/codes.js';
import { parseFastjson } from '../../src/net/fastjson.js';
import { HALF_TOPIC, OP_HALF_TOPIC, TRANS_CHECK_GROUP, TRANS_CHECK_MAX_TIME_TOPIC } from '../../src/net/broker/transaction-messages.js';
import { createTopic, props, sendV2Header, startTestBroker, type TestBroker } from '../helpers/broker-harness.js';

/**
 * The broker's side of transactions in process, byte by byte: where a half message is stored and
 * how, what END_TRANSACTION checks before it commits, and what it refuses.
 */
let tb: TestBroker;
const TOPIC = 'TxUnit';

beforeAll(async () => {
  // Checks effectively off: these tests drive END_TRANSACTION themselves.
  tb = await startTestBroker({ transactionCheckInterval: 3_600_000 });
  expect((await createTopic(tb, TOPIC, 2)).code).toBe(ResponseCode.SUCCESS);
});

afterAll(async () => {
  await tb?.close();
});

async function sendHalf(body: string, group = 'TxGroup') {
  const r = await tb.invoke(RequestCode.SEND_MESSAGE_V2, sendV2Header(TOPIC, { queueId: 1, sysFlag: 0x4, group, properties: props({ TRAN_MSG: 'true', PGROUP: group, TAGS: 'tx' }) }), Buffer.from(body));
  expect(r.code).toBe(ResponseCode.SUCCESS);
  return { queueOffset: Number(r.extFields.queueOffset), commitLogOffset: decodeOffsetMsgId(r.extFields.msgId!).offset, msgId: r.extFields.msgId! };
}

const end = (h: { queueOffset: number; commitLogOffset: number; msgId: string }, commitOrRollback: number, group = 'TxGroup') =>
  tb.invoke(RequestCode.END_TRANSACTION, { producerGroup: group, tranStateTableOffset: h.queueOffset, commitLogOffset: h.commitLogOffset, commitOrRollback, fromTransactionCheck: false, msgId: h.msgId });

describe('half messages and END_TRANSACTION', () => {
  it('stores a half in the half topic with its real topic and queue, invisible in the real queue', async () => {
    const h = await sendHalf('half-1');
    const store = tb.controller.store;
    const half = store.lookMessageByOffset(h.commitLogOffset)!;
    expect(half.topic).toBe(HALF_TOPIC);
    expect(half.queueId).toBe(0);
    expect(half.sysFlag & 0xc).toBe(0);
    expect(half.properties).toMatchObject({ REAL_TOPIC: TOPIC, REAL_QID: '1', TRAN_MSG: 'true', PGROUP: 'TxGroup' });
    expect(store.getMaxOffsetInQueue(TOPIC, 1)).toBe(0);
  });

  it('commits: the real message appears with COMMIT bits and the half offset, and an op marks the half done', async () => {
    const h = await sendHalf('half-commit');
    const ops = tb.controller.store.getMaxOffsetInQueue(OP_HALF_TOPIC, 0);
    expect((await end(h, 0x8)).code).toBe(ResponseCode.SUCCESS);
    const store = tb.controller.store;
    const r = store.getMessage('g', TOPIC, 1, 0, 10);
    expect(r.status).toBe('FOUND');
    const real = store.lookMessageByOffset(store.getCommitLogOffsetInQueue(TOPIC, 1, 0))!;
    expect(real.body.toString()).toBe('half-commit');
    expect(real.sysFlag & 0xc).toBe(0x8);
    expect(real.preparedTransactionOffset).toBe(h.commitLogOffset);
    expect(real.properties.REAL_TOPIC).toBeUndefined();
    expect(real.properties.TRAN_MSG).toBeUndefined();
    expect(store.getMaxOffsetInQueue(OP_HALF_TOPIC, 0)).toBe(ops + 1);
    const op = store.lookMessageByOffset(store.getCommitLogOffsetInQueue(OP_HALF_TOPIC, 0, ops))!;
    expect([op.body.toString(), op.properties.TAGS]).toEqual([String(h.queueOffset), 'd']);
  });

  it('rolls back: only the op message, nothing in the real queue', async () => {
    const before = tb.controller.store.getMaxOffsetInQueue(TOPIC, 1);
    const h = await sendHalf('half-rollback');
    expect((await end(h, 0xc)).code).toBe(ResponseCode.SUCCESS);
    expect(tb.controller.store.getMaxOffsetInQueue(TOPIC, 1)).toBe(before);
  });

  it('refuses an END_TRANSACTION that names the wrong group, offset or state', async () => {
    const h = await sendHalf('half-wrong');
    const wrongGroup = await end(h, 0x8, 'OtherGroup');
    expect([wrongGroup.code, wrongGroup.remark]).toEqual([ResponseCode.SYSTEM_ERROR, expect.stringMatching(/producer group OtherGroup/)]);
    const wrongOffset = await end({ ...h, queueOffset: h.queueOffset + 7 }, 0x8);
    expect(wrongOffset.code).toBe(ResponseCode.SYSTEM_ERROR);
    const nowhere = await end({ ...h, commitLogOffset: h.commitLogOffset + 3 }, 0x8);
    expect(nowhere.code).toBe(ResponseCode.SYSTEM_ERROR);
    expect((await end(h, 5)).code).toBe(ResponseCode.SYSTEM_ERROR);
    // A message that is no half at all.
    const plain = await tb.invoke(RequestCode.SEND_MESSAGE_V2, sendV2Header(TOPIC, { queueId: 0 }), Buffer.from('plain'));
    const notHalf = await end({ queueOffset: Number(plain.extFields.queueOffset), commitLogOffset: decodeOffsetMsgId(plain.extFields.msgId!).offset, msgId: plain.extFields.msgId! }, 0x8);
    expect(notHalf.code).toBe(ResponseCode.SYSTEM_ERROR);
    expect(tb.controller.store.getMaxOffsetInQueue(TOPIC, 0)).toBe(1);
  });

  it('gives a half up after transactionCheckMax check-backs, and keeps its progress as CID_RMQ_SYS_TRANS offsets', async () => {
    const local = await startTestBroker({ transactionCheckInterval: 3_600_000, transactionTimeOut: 1, transactionCheckMax: 2 });
    try {
      await createTopic(local, TOPIC, 1);
      const r = await local.invoke(RequestCode.SEND_MESSAGE_V2, sendV2Header(TOPIC, { sysFlag: 0x4, properties: props({ TRAN_MSG: 'true', PGROUP: 'Nobody' }) }), Buffer.from('orphan'));
      expect(r.code).toBe(ResponseCode.SUCCESS);
      const svc = local.controller.transactionCheck!;
      for (let i = 0; i < 4; i++) {
        await new Promise((res) => setTimeout(res, 5));
        await svc.checkNow();
      }
      // Checked twice (two copies put back, no producer online to ask), then given up.
      expect(local.controller.store.getMaxOffsetInQueue(HALF_TOPIC, 0)).toBe(3);
      expect(svc.discarded).toBe(1);
      // Kept where an operator can look at it.
      const kept = local.controller.store.getMessage('g', TRANS_CHECK_MAX_TIME_TOPIC, 0, 0, 10);
      expect(kept.messages.map((m) => decodeMessage(m, 0).body.toString())).toEqual(['orphan']);
      expect(local.controller.topics.get(TRANS_CHECK_MAX_TIME_TOPIC)?.readQueueNums).toBe(1);
      expect(local.controller.offsets.query(TRANS_CHECK_GROUP, HALF_TOPIC, 0)).toBe(3);

      // RESUME_CHECK_HALF_MESSAGE puts it back to be checked again, its check count at 0.
      const given = decodeMessage(kept.messages[0]!, 0);
      const resumed = await local.invoke(RequestCode.RESUME_CHECK_HALF_MESSAGE, { msgId: given.msgId });
      expect([resumed.code, resumed.remark]).toEqual([ResponseCode.SUCCESS, undefined]);
      expect(local.controller.store.getMaxOffsetInQueue(HALF_TOPIC, 0)).toBe(4);
      const again = local.controller.store.lookMessageByOffset(local.controller.store.getCommitLogOffsetInQueue(HALF_TOPIC, 0, 3))!;
      expect([again.body.toString(), again.properties.TRANSACTION_CHECK_TIMES, again.properties.REAL_TOPIC, again.properties.PGROUP]).toEqual(['orphan', '0', TOPIC, 'Nobody']);
      // Only halves: a plain message, or an id naming nothing, is refused and nothing is stored.
      const plain = await local.invoke(RequestCode.SEND_MESSAGE_V2, sendV2Header(TOPIC), Buffer.from('plain'));
      const refused = await local.invoke(RequestCode.RESUME_CHECK_HALF_MESSAGE, { msgId: plain.extFields.msgId });
      expect([refused.code, refused.remark]).toEqual([ResponseCode.SYSTEM_ERROR, `Exception was thrown when putting message back to RMQ_SYS_TRANS_HALF_TOPIC: the message is in ${TOPIC}, not a transaction half`]);
      expect((await local.invoke(RequestCode.RESUME_CHECK_HALF_MESSAGE, { msgId: 'nonsense' })).code).toBe(ResponseCode.SYSTEM_ERROR);
      expect(local.controller.store.getMaxOffsetInQueue(HALF_TOPIC, 0)).toBe(4);
    } finally {
      await local.close();
    }
  });

  it('checks a transaction once a pass whatever copies a crash left of it, never again once one copy ended, and writes its progress at once', async () => {
    const local = await startTestBroker({ transactionCheckInterval: 3_600_000, transactionTimeOut: 1, transactionCheckMax: 10 });
    try {
      await createTopic(local, TOPIC, 1);
      const store = local.controller.store;
      const svc = local.controller.transactionCheck!;
      // 40 open transactions (more than one read batch of the half queue), no producer online.
      for (let i = 0; i < 40; i++) {
        const r = await local.invoke(RequestCode.SEND_MESSAGE_V2, sendV2Header(TOPIC, { sysFlag: 0x4, properties: props({ TRAN_MSG: 'true', PGROUP: 'Nobody', UNIQ_KEY: `TX${i}` }) }), Buffer.from(`tx-${i}`));
        expect(r.code).toBe(ResponseCode.SUCCESS);
      }
      const pass = async () => {
        await new Promise((res) => setTimeout(res, 5));
        await svc.checkNow();
      };
      await pass();
      // One copy each, and the pass did not walk into the copies it appended.
      expect(store.getMaxOffsetInQueue(HALF_TOPIC, 0)).toBe(80);
      expect(local.controller.offsets.query(TRANS_CHECK_GROUP, HALF_TOPIC, 0)).toBe(40);
      // Written to the file now, not at the next periodic flush.
      const onDisk = () => (parseFastjson(readFileSync(join(local.dir, 'config', 'consumerOffset.json'), 'utf8')) as { offsetTable: Record<string, Record<string, number>> }).offsetTable[`${HALF_TOPIC}@${TRANS_CHECK_GROUP}`]?.['0'];
      expect(onDisk()).toBe(40);
      await pass();
      expect(store.getMaxOffsetInQueue(HALF_TOPIC, 0)).toBe(120);

      // A crash before the progress was written: the next pass walks every copy again. Each
      // transaction is checked (copied) once, not once per copy.
      local.controller.offsets.commit(TRANS_CHECK_GROUP, HALF_TOPIC, 0, 0);
      await pass();
      expect(store.getMaxOffsetInQueue(HALF_TOPIC, 0)).toBe(160);

      // TX0 committed through its newest copy; after another crash its older copies are not
      // checked, nor committed, again.
      const newest = decodeMessage(store.getMessage('g', HALF_TOPIC, 0, 120, 1).messages[0]!, 0);
      expect(newest.properties.UNIQ_KEY).toBe('TX0');
      const committed = await local.invoke(RequestCode.END_TRANSACTION, { producerGroup: 'Nobody', tranStateTableOffset: newest.queueOffset, commitLogOffset: newest.commitLogOffset, commitOrRollback: 0x8, fromTransactionCheck: true, msgId: 'TX0' });
      expect(committed.code).toBe(ResponseCode.SUCCESS);
      local.controller.offsets.commit(TRANS_CHECK_GROUP, HALF_TOPIC, 0, 0);
      local.controller.offsets.commit(TRANS_CHECK_GROUP, OP_HALF_TOPIC, 0, 0);
      await pass();
      expect(store.getMaxOffsetInQueue(HALF_TOPIC, 0)).toBe(199);
      const copies = store.getMessage('g', HALF_TOPIC, 0, 160, 64).messages.map((m) => decodeMessage(m, 0).properties.UNIQ_KEY);
      expect(copies).not.toContain('TX0');
      expect(store.getMaxOffsetInQueue(TOPIC, 0)).toBe(1);
    } finally {
      await local.close();
    }
  });

  it('refuses half messages when rejectTransactionMessage is set', async () => {
    const local = await startTestBroker({ rejectTransactionMessage: true });
    try {
      await createTopic(local, TOPIC, 1);
      const r = await local.invoke(RequestCode.SEND_MESSAGE_V2, sendV2Header(TOPIC, { sysFlag: 0x4, properties: props({ TRAN_MSG: 'true', PGROUP: 'G' }) }), Buffer.from('no'));
      expect([r.code, r.remark]).toEqual([ResponseCode.NO_PERMISSION, expect.stringMatching(/sending transaction message is forbidden/)]);
    } finally {
      await local.close();
    }
  });
});
