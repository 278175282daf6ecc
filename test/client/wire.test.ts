import { describe, expect, it } from 'vitest';
import { RemotingCommand } from '../../src/net/remoting-command.js';
import { RequestCode } from '../../src/net/codes.js';
import { SendRequestEncoder, parseSendResponse } from '../../src/net/client/send-request.js';
import { parseLenientJson } from '../../src/net/client/lenient-json.js';
import { parsePropertiesText } from '../../src/store/index.js';
import { buildConfig, PRODUCER_DEFAULTS } from '../../src/net/client/client-config.js';
import { parseTopicRouteData, publishQueues, subscribeQueues, permToString } from '../../src/net/client/route.js';

describe('SEND_MESSAGE_V2 request', () => {
  it('the prepared header is byte-identical to RemotingCommand.encode of the same extFields', () => {
    const enc = new SendRequestEncoder('pg"1', 'TBW102', 4);
    const props = 'TAGS\u0001Tag"A\u0002UNIQ_KEY\u0001ABC\u0002WAIT\u0001true';
    const body = Buffer.from('héllo');
    const fast = enc.build(RequestCode.SEND_MESSAGE_V2, 'TopicTest', 3, 0, 1700000000123, 7, props, body);
    const generic = RemotingCommand.createRequest(
      RequestCode.SEND_MESSAGE_V2,
      { a: 'pg"1', b: 'TopicTest', c: 'TBW102', d: 4, e: 3, f: 0, g: 1700000000123, h: 7, i: props, j: 0, k: false, m: false },
      body,
    );
    generic.opaque = fast.opaque;
    expect(fast.encode().toString('hex')).toBe(generic.encode().toString('hex'));
    expect(Buffer.concat(fast.encodeParts()).toString('hex')).toBe(generic.encode().toString('hex'));
    fast.markOneway();
    const decoded = RemotingCommand.decode(fast.encode().subarray(4));
    expect(decoded.flag).toBe(2);
    expect(decoded.extFields).toMatchObject({ a: 'pg"1', b: 'TopicTest', i: props, m: 'false' });
    expect(decoded.body?.toString()).toBe('héllo');
  });

  it('maps the response header to a SendResult and error codes to errors carrying the code', () => {
    const mq = { topic: 'T', brokerName: 'b', queueId: 1 };
    const req = RemotingCommand.createRequest(RequestCode.SEND_MESSAGE_V2);
    const ok = RemotingCommand.createResponse(req, 0, undefined, { msgId: 'AB', queueId: 1, queueOffset: 42, MSG_REGION: 'DefaultRegion', TRACE_ON: 'true' });
    expect(parseSendResponse(ok, 'addr', mq, 'U1')).toEqual({
      sendStatus: 'SEND_OK', msgId: 'U1', offsetMsgId: 'AB', messageQueue: mq, queueOffset: 42, regionId: 'DefaultRegion', traceOn: true,
    });
    expect(parseSendResponse(RemotingCommand.createResponse(req, 10, undefined, { queueId: 1, queueOffset: 1 }), 'a', mq, 'U').sendStatus).toBe('FLUSH_DISK_TIMEOUT');
    const bad = RemotingCommand.createResponse(req, 13, 'the message is illegal');
    expect(() => parseSendResponse(bad, 'a', mq, 'U')).toThrow(expect.objectContaining({ code: 'BROKER_ERROR', responseCode: 13, retriable: false }));
    const busy = RemotingCommand.createResponse(req, 2, 'busy');
    expect(() => parseSendResponse(busy, 'a', mq, 'U')).toThrow(expect.objectContaining({ responseCode: 2, retriable: true }));
  });
});

describe('route bodies', () => {
  it('reads the legacy bare-key form and derives publish and subscribe queues', () => {
    const body = Buffer.from(
      '{"brokerDatas":[{"brokerAddrs":{0:"127.0.0.1:10911",1:"127.0.0.1:10921"},"brokerName":"b","cluster":"C"},' +
        '{"brokerAddrs":{1:"127.0.0.1:10931"},"brokerName":"a","cluster":"C"}],"filterServerTable":{},' +
        '"queueDatas":[{"brokerName":"b","perm":6,"readQueueNums":2,"topicSynFlag":0,"writeQueueNums":3},{"brokerName":"a","perm":4,"readQueueNums":1,"topicSysFlag":0,"writeQueueNums":1}]}',
    );
    const route = parseTopicRouteData(body);
    expect(route.brokerDatas[0]!.brokerAddrs.get(1)).toBe('127.0.0.1:10921');
    // Broker a has no master and is read-only: only b's 3 write queues are published.
    expect(publishQueues('T', route).map((q) => `${q.brokerName}${q.queueId}`)).toEqual(['b0', 'b1', 'b2']);
    expect(subscribeQueues('T', route).map((q) => `${q.brokerName}${q.queueId}`)).toEqual(['b0', 'b1', 'a0']);
    expect([permToString(6), permToString(7), permToString(2)]).toEqual(['RW-', 'RWX', '-W-']);
  });

  it('reads maps keyed by MessageQueue objects (TopicStatsTable)', () => {
    const v = parseLenientJson('{"offsetTable":{{"brokerName":"b","queueId":0,"topic":"T"}:{"maxOffset":5,"minOffset":0},{"brokerName":"b","queueId":1,"topic":"T"}:{"maxOffset":7}},"x":{0:1}}') as {
      offsetTable: Map<unknown, unknown>;
      x: Record<string, number>;
    };
    expect([...v.offsetTable.entries()]).toEqual([
      [{ brokerName: 'b', queueId: 0, topic: 'T' }, { maxOffset: 5, minOffset: 0 }],
      [{ brokerName: 'b', queueId: 1, topic: 'T' }, { maxOffset: 7 }],
    ]);
    expect(v.x).toEqual({ 0: 1 });
    expect(() => parseLenientJson('{"a":}')).toThrow(SyntaxError);
  });
});

describe('client config', () => {
  it('takes RocketMQ key names from properties text; unknown keys warn, bad values throw naming the key', () => {
    const warnings: string[] = [];
    const cfg = buildConfig(PRODUCER_DEFAULTS, parsePropertiesText('namesrvAddr=1.2.3.4:9876;5.6.7.8:9876\nsendMsgTimeout=5000\nbogus=1\n'), (m) => warnings.push(m));
    expect([cfg.namesrvAddr, cfg.sendMsgTimeout, cfg.retryTimesWhenSendFailed, cfg.pollNameServerInterval]).toEqual(['1.2.3.4:9876;5.6.7.8:9876', 5000, 2, 30000]);
    expect(warnings.join()).toMatch(/bogus/);
    expect(() => buildConfig(PRODUCER_DEFAULTS, new Map([['sendMsgTimeout', 'soon']]))).toThrow(/sendMsgTimeout/);
  });
});
