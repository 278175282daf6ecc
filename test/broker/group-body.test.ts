import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RequestCode, ResponseCode } from '../../src/net/codes.js';
import { decodeSubscriptionGroup } from '../../src/net/broker/subscription-group-manager.js';
import { createTopic, pullHeader, startTestBroker, type TestBroker } from '../helpers/broker-harness.js';

// Found by fuzzing a broker process: the UPDATE_AND_CREATE_SUBSCRIPTIONGROUP body was trusted as is.
describe('subscription group bodies are checked against their Java field types', () => {
  let tb: TestBroker;
  beforeAll(async () => {
    tb = await startTestBroker({ autoCreateSubscriptionGroup: false }, { memory: true });
    await createTopic(tb, 'GroupTopic', 1);
  });
  afterAll(async () => {
    await tb?.close();
  });

  const createGroup = (json: string) => tb.invoke(RequestCode.UPDATE_AND_CREATE_SUBSCRIPTIONGROUP, undefined, Buffer.from(json));

  it('refuses retryQueueNums 1e300 (it made a retry topic with 1e300 queues) and stores nothing', async () => {
    const res = await createGroup('{"groupName":"HugeRetry","retryQueueNums":1e300}');
    expect(res.code).toBe(ResponseCode.SYSTEM_ERROR);
    expect(res.remark).toMatch(/retryQueueNums is not an int/);
    expect(tb.controller.groups.get('HugeRetry')).toBeUndefined();
  });

  it('refuses an object where an int belongs', async () => {
    const res = await createGroup('{"groupName":"ObjRetry","retryMaxTimes":{"a":1}}');
    expect(res.code).toBe(ResponseCode.SYSTEM_ERROR);
    expect(tb.controller.groups.get('ObjRetry')).toBeUndefined();
  });

  it('reads "false" as false, as fastjson does (a string used to leave consumption enabled)', async () => {
    expect((await createGroup('{"groupName":"Off","consumeEnable":"false","retryQueueNums":"2"}')).code).toBe(ResponseCode.SUCCESS);
    expect(tb.controller.groups.get('Off')).toMatchObject({ consumeEnable: false, retryQueueNums: 2 });
    const pull = await tb.invoke(RequestCode.PULL_MESSAGE, pullHeader('GroupTopic', 'Off', 0, 0));
    expect(pull.code).toBe(ResponseCode.NO_PERMISSION);
  });

  it('loads a config file with mistyped fields by falling back to the defaults, naming them', () => {
    const { config, problems } = decodeSubscriptionGroup('G', { retryQueueNums: 1e300, consumeEnable: 'yes', brokerId: 3 });
    expect(config).toMatchObject({ retryQueueNums: 1, consumeEnable: true, brokerId: 3 });
    expect(problems).toHaveLength(2);
  });
});
