import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RequestCode, ResponseCode } from '../../src/net/codes.js';
import { parseFastjson } from '../../src/net/fastjson.js';
import { silentLogger } from '../../src/net/logger.js';
import { NameServer } from '../../src/net/nameserver/nameserver.js';
import { namesrvConfig } from '../../src/net/nameserver/namesrv-config.js';
import { RemotingCommand } from '../../src/net/remoting-command.js';
import { createTopic, startTestBroker, waitFor, type TestBroker } from '../helpers/broker-harness.js';

// `^[%|a-zA-Z0-9_-]+$` admits `__proto__`; a topic or group by that name must be stored, listed,
// reloaded and registered as itself. Assigned as a key of a plain `{}` it would instead replace
// the object's prototype, and a `for…in` writer would then emit the topic's fields as topics.
const NAME = '__proto__';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'proto-names-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function broker(storeRoot: string, namesrvAddr = ''): Promise<TestBroker> {
  const tb = await startTestBroker({ storePathRootDir: storeRoot, namesrvAddr });
  cleanups.push(() => tb.close());
  return tb;
}

const topicNames = (tb: TestBroker): string[] => [...tb.controller.topics.topics()].map((t) => t.topicName).sort();
const ownKeys = (v: unknown): string[] => Object.keys(v as object).sort();

describe('a topic or group named __proto__', () => {
  it('is written to topics.json as one entry and reloads as exactly that topic', async () => {
    const root = scratch();
    const first = await broker(root);
    const before = topicNames(first);
    expect((await createTopic(first, NAME, 3)).code).toBe(ResponseCode.SUCCESS);
    const expected = [...before, NAME].sort();

    const file = JSON.parse(readFileSync(join(root, 'config', 'topics.json'), 'utf8')) as { topicConfigTable: Record<string, { topicName: string; readQueueNums: number }> };
    expect(ownKeys(file.topicConfigTable)).toEqual(expected);
    expect(file.topicConfigTable[NAME]).toMatchObject({ topicName: NAME, readQueueNums: 3 });

    const all = await first.invoke(RequestCode.GET_ALL_TOPIC_CONFIG);
    expect(ownKeys((parseFastjson(all.body!.toString()) as { topicConfigTable: unknown }).topicConfigTable)).toEqual(expected);

    await first.close();
    const second = await broker(root);
    expect(topicNames(second)).toEqual(expected);
    expect(second.controller.topics.get(NAME)).toMatchObject({ readQueueNums: 3, writeQueueNums: 3, perm: 6 });
  });

  it('reaches the NameServer as that topic and nothing else', async () => {
    const ns = new NameServer({ ...namesrvConfig(), listenPort: 0, bindAddress: '127.0.0.1', kvConfigPath: join(scratch(), 'kv.json') }, silentLogger);
    const nsAddr = `127.0.0.1:${await ns.start()}`;
    cleanups.push(() => ns.shutdown());
    const tb = await broker(scratch(), nsAddr);
    expect((await createTopic(tb, NAME, 2)).code).toBe(ResponseCode.SUCCESS);

    const listed = async (): Promise<string[]> => {
      const res = await tb.client.invoke(nsAddr, RemotingCommand.createRequest(RequestCode.GET_ALL_TOPIC_LIST_FROM_NAMESERVER), 2000);
      return ((JSON.parse(res.body!.toString()) as { topicList: string[] }).topicList).sort();
    };
    await waitFor(async () => (await listed()).includes(NAME), 5000, 'the NameServer to list __proto__');
    expect(await listed()).toEqual(topicNames(tb));
  });

  it('keeps a subscription group and its offsets across a restart', async () => {
    const root = scratch();
    const first = await broker(root);
    const body = Buffer.from(JSON.stringify({ groupName: NAME, retryMaxTimes: 3 }));
    expect((await first.invoke(RequestCode.UPDATE_AND_CREATE_SUBSCRIPTIONGROUP, {}, body)).code).toBe(ResponseCode.SUCCESS);
    expect((await createTopic(first, NAME, 1)).code).toBe(ResponseCode.SUCCESS);
    first.controller.offsets.commit(NAME, NAME, 0, 7);
    const groupsBefore = [...first.controller.groups.groups()].map((g) => g.groupName).sort();
    await first.close();

    const groupFile = JSON.parse(readFileSync(join(root, 'config', 'subscriptionGroup.json'), 'utf8')) as { subscriptionGroupTable: unknown };
    expect(ownKeys(groupFile.subscriptionGroupTable)).toEqual(groupsBefore);
    const second = await broker(root);
    expect([...second.controller.groups.groups()].map((g) => g.groupName).sort()).toEqual(groupsBefore);
    expect(second.controller.groups.get(NAME)).toMatchObject({ retryMaxTimes: 3 });
    expect(second.controller.offsets.query(NAME, NAME, 0)).toBe(7);
  });
});
