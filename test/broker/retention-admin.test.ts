import { readdirSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { RequestCode, ResponseCode } from '../../src/net/codes.js';
import type { DefaultMessageStore } from '../../src/store/index.js';
import { commitLogDir } from '../../src/store/file-names.js';
import { sendV2Header, startTestBroker, type TestBroker } from '../helpers/broker-harness.js';

let tb: TestBroker;
// An hour that is not now, so only the manual trigger can make expired files go.
const otherHour = String((new Date().getHours() + 12) % 24).padStart(2, '0');

beforeAll(async () => {
  tb = await startTestBroker({ mappedFileSizeCommitLog: 64 * 1024, deleteWhen: otherHour, fileReservedTime: 1 });
});

afterAll(async () => {
  await tb?.close();
});

it('DELETE_EXPIRED_COMMITLOG makes the next pass delete expired files whatever the hour', async () => {
  const body = Buffer.alloc(1000, 0x61);
  for (let i = 0; i < 200; i++) {
    const r = await tb.invoke(RequestCode.SEND_MESSAGE_V2, sendV2Header('Expiring'), body);
    expect(r.code).toBe(ResponseCode.SUCCESS);
  }
  const store = tb.controller.store as DefaultMessageStore;
  const dir = commitLogDir(store.config);
  const segments = readdirSync(dir).filter((n) => /^\d{20}$/.test(n)).sort();
  expect(segments.length).toBeGreaterThanOrEqual(3);
  const old = Date.now() / 1000 - 2 * 3600;
  for (const n of segments.slice(0, -1)) utimesSync(join(dir, n), old, old);
  expect((await store.retention.runOnce()).commitLogFiles).toBe(0);

  const res = await tb.invoke(RequestCode.DELETE_EXPIRED_COMMITLOG);
  expect(res.code).toBe(ResponseCode.SUCCESS);
  expect((await store.retention.runOnce()).commitLogFiles).toBe(segments.length - 1);
  expect(readdirSync(dir).filter((n) => /^\d{20}$/.test(n))).toEqual(segments.slice(-1));
});
