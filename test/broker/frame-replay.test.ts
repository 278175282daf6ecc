import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeMessages } from '../../src/store/index.js';
import { RequestCode, ResponseCode } from '../../src/net/codes.js';
import { FrameDecoder } from '../../src/net/frame-codec.js';
import { RemotingCommand } from '../../src/net/remoting-command.js';
import { loadFrames, type Frame } from '../net/helpers.js';
import { startTestBroker, waitFor, type TestBroker } from '../helpers/broker-harness.js';

/**
 * Replays, byte for byte, every request ali-ons and mqadmin sent to a real RocketMQ 4.9 broker
 * (test/fixtures/rocketmq-4.9-frames), on as many connections as were recorded, and compares our
 * answers with the recorded ones: same response code, same set of header field names.
 */

/** A raw socket that sends recorded bytes and collects every frame the broker sends back. */
class RawConnection {
  readonly received: RemotingCommand[] = [];
  private readonly decoder = new FrameDecoder(16 * 1024 * 1024);
  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      for (const f of this.decoder.push(chunk)) this.received.push(RemotingCommand.decode(f));
    });
  }

  static open(port: number): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const s = connect(port, '127.0.0.1', () => resolve(new RawConnection(s)));
      s.once('error', reject);
    });
  }

  write(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  async response(opaque: number): Promise<RemotingCommand> {
    const r = await waitFor(() => this.received.find((c) => c.isResponse && c.opaque === opaque), 5000, `response to opaque ${opaque}`);
    return r!;
  }

  close(): void {
    this.socket.destroy();
  }
}

let tb: TestBroker;
let frames: Frame[];

beforeAll(async () => {
  frames = loadFrames().filter((f) => f.server === 'broker');
  // Same cluster name as the recording, so stored records (and so commit log offsets) match it;
  // a short suspend cap so the recorded 15 s long poll ends quickly.
  tb = await startTestBroker({ brokerClusterName: 'RefCluster', brokerSuspendMaxTimeMillis: 300 });
});
afterAll(async () => {
  await tb?.close();
});

describe('replay of recorded RocketMQ 4.9 broker traffic', () => {
  it('answers every recorded request with the recorded code and header field names', async () => {
    const conns = new Map<number, RawConnection>();
    const responses = new Map<string, Frame>();
    for (const f of frames) if (f.kind === 'response' && f.requestFile) responses.set(f.requestFile, f);
    const requests = frames.filter((f) => f.kind === 'request' && f.direction === 'to-broker');
    expect(requests.length).toBe(23);
    const checked: string[] = [];
    try {
      for (const req of requests) {
        let conn = conns.get(req.connection);
        if (!conn) conns.set(req.connection, (conn = await RawConnection.open(tb.controller.port)));
        conn.write(req.bytes);
        const recorded = responses.get(req.file);
        if (!recorded) continue;
        const ours = await conn.response(req.opaque);
        const header = recorded.header as { code: number; remark?: string; extFields?: Record<string, string> | null };
        expect(ours.code, `${req.file} (code ${req.code})`).toBe(header.code);
        expect(Object.keys(ours.extFields).sort(), req.file).toEqual(Object.keys(header.extFields ?? {}).sort());
        if (req.code === RequestCode.PULL_MESSAGE) expect(ours.remark, req.file).toBe(header.remark);
        if (req.code === RequestCode.SEND_MESSAGE_V2) {
          expect(ours.extFields.queueOffset).toBe(header.extFields!.queueOffset);
          expect(ours.extFields.MSG_REGION).toBe('DefaultRegion');
        }
        if (req.code === RequestCode.GET_CONSUMER_LIST_BY_GROUP) expect(ours.body!.toString()).toBe('{"consumerIdList":["192.0.2.2@22418"]}');
        if (req.code === RequestCode.PULL_MESSAGE && ours.code === ResponseCode.SUCCESS) {
          // Same records as the real broker stored, but for times and hosts.
          const recordedBody = recorded.bytes.subarray(8 + recorded.headerLength);
          const a = decodeMessages(ours.body!);
          const b = decodeMessages(recordedBody);
          expect(a.map((m) => [m.storeSize, m.queueOffset, m.commitLogOffset, m.propertiesString, m.body.toString()])).toEqual(
            b.map((m) => [m.storeSize, m.queueOffset, m.commitLogOffset, m.propertiesString, m.body.toString()]),
          );
        }
        checked.push(req.file);
      }
      expect(checked.length).toBe(22);
      // The heartbeats made the broker tell the session's connection that the group changed.
      const session = conns.get(requests.find((r) => r.code === RequestCode.HEART_BEAT)!.connection)!;
      const notify = session.received.find((c) => !c.isResponse && c.code === RequestCode.NOTIFY_CONSUMER_IDS_CHANGED);
      expect(notify?.extFields).toEqual({ consumerGroup: 'FrameGroup' });
      expect(notify?.isOneway).toBe(true);
    } finally {
      for (const c of conns.values()) c.close();
    }
  });
});
