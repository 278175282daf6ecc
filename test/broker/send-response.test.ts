import { describe, expect, it } from 'vitest';
import { RemotingCommand, SerializeType } from '../../src/net/remoting-command.js';
import { sendResponse } from '../../src/net/broker/processors/send-response.js';

/** The generic encoding of the same response (what the broker wrote before the fast path). */
function generic(req: RemotingCommand, code: number, msgId: string, queueId: number, queueOffset: number, region: string, traceOn: boolean): Buffer {
  const res = RemotingCommand.createResponse(req, code, undefined, { msgId, queueId, queueOffset, MSG_REGION: region, TRACE_ON: traceOn });
  res.opaque = 77;
  res.flag |= 1;
  return res.encode();
}

describe('send response encoding', () => {
  const req = RemotingCommand.createRequest(320, { a: 'g' });
  const ids = ['7F00000100002A9F0000000000001000', '7F00000100002A9F0000000000001400'].join(',');
  const cases: [string, string, boolean][] = [
    [ids, 'DefaultRegion', true],
    ['7F00000100002A9F0000000000000000', 'DefaultRegion', false],
    [ids, 'r\u00e9gion "x"', true],
    ['not"hex', 'DefaultRegion', true],
  ];
  for (const [msgId, region, traceOn] of cases) {
    it(`matches the generic encoder byte for byte (${JSON.stringify(region)}, ${msgId.length} id chars)`, () => {
      const res = sendResponse(req, 0, msgId, 3, 123456789012, region, traceOn);
      res.opaque = 77;
      res.flag |= 1;
      expect(res.encode().equals(generic(req, 0, msgId, 3, 123456789012, region, traceOn))).toBe(true);
      expect(Buffer.concat(res.encodeParts()).equals(res.encode())).toBe(true);
      expect(RemotingCommand.decode(res.encode().subarray(4)).extFields).toEqual({ msgId, queueId: '3', queueOffset: '123456789012', MSG_REGION: region, TRACE_ON: String(traceOn) });
    });
  }

  it('falls back to the generic encoder once the command is changed', () => {
    const res = sendResponse(req, 0, ids, 1, 5, 'DefaultRegion', true);
    res.extFields.extra = 'x';
    res.remark = 'r';
    expect(RemotingCommand.decode(res.encode().subarray(4))).toMatchObject({ remark: 'r', extFields: { extra: 'x', msgId: ids } });
    const bin = RemotingCommand.createRequest(320);
    bin.serializeType = SerializeType.ROCKETMQ;
    const r2 = sendResponse(bin, 0, ids, 1, 5, 'DefaultRegion', true);
    expect(RemotingCommand.decode(r2.encode().subarray(4)).extFields.msgId).toBe(ids);
  });
});
