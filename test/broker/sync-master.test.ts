import { afterAll, beforeAll, expect, it } from 'vitest';
import { RequestCode, ResponseCode } from '../../src/net/codes.js';
import { sendV2Header, startTestBroker, type TestBroker } from '../helpers/broker-harness.js';

let tb: TestBroker;

beforeAll(async () => {
  tb = await startTestBroker({ brokerRole: 'SYNC_MASTER' });
});

afterAll(async () => {
  await tb?.close();
});

/** No HA replication yet: a SYNC_MASTER must not claim a slave has a message. */
it('a SYNC_MASTER stores a send but answers SLAVE_NOT_AVAILABLE, as RocketMQ with no slave connected', async () => {
  const r = await tb.invoke(RequestCode.SEND_MESSAGE_V2, sendV2Header('SyncMasterTopic', { queueId: 0 }), Buffer.from('one'));
  expect(r.code).toBe(ResponseCode.SLAVE_NOT_AVAILABLE);
  expect(r.extFields.queueOffset).toBe('0');
  // Stored all the same, and a send that does not wait for the store is simply acknowledged.
  const noWait = await tb.invoke(RequestCode.SEND_MESSAGE_V2, sendV2Header('SyncMasterTopic', { queueId: 0, properties: 'WAIT\u0001false' }), Buffer.from('two'));
  expect(noWait.code).toBe(ResponseCode.SUCCESS);
  expect(noWait.extFields.queueOffset).toBe('1');
  const max = await tb.invoke(RequestCode.GET_MAX_OFFSET, { topic: 'SyncMasterTopic', queueId: 0 });
  expect(max.extFields.offset).toBe('2');
});
