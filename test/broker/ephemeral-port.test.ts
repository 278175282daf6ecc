import { describe, expect, it } from 'vitest';
import { decodeMessages, decodeOffsetMsgId } from '../../src/store/index.js';
import { RequestCode, ResponseCode } from '../../src/net/codes.js';
import { sendV2Header, startTestBroker } from '../helpers/broker-harness.js';

describe('broker on listenPort=0', () => {
  for (const memory of [false, true]) {
    it(`message ids carry the port it really listens on (${memory ? 'memory' : 'file'} store)`, async () => {
      const tb = await startTestBroker({}, { memory });
      try {
        const port = tb.controller.port;
        expect(port).toBeGreaterThan(0);
        expect(tb.controller.vipPort).toBe(port - 2);
        const sent = await tb.invoke(RequestCode.SEND_MESSAGE_V2, sendV2Header('EphemeralTopic', { queueId: 0 }), Buffer.from('hello'));
        expect(sent.code).toBe(ResponseCode.SUCCESS);
        const id = decodeOffsetMsgId(sent.extFields.msgId!);
        expect(id.address).toBe(`127.0.0.1:${port}`);
        const viewed = await tb.invoke(RequestCode.VIEW_MESSAGE_BY_ID, { offset: id.offset });
        expect(viewed.code).toBe(ResponseCode.SUCCESS);
        expect(decodeMessages(viewed.body!)[0]!.body.toString()).toBe('hello');
        expect(decodeMessages(viewed.body!)[0]!.storeHost).toBe(`127.0.0.1:${port}`);
      } finally {
        await tb.close();
      }
    });
  }
});
