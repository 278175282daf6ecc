import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NameServer } from '../../src/net/nameserver/nameserver.js';
import { namesrvConfig } from '../../src/net/nameserver/namesrv-config.js';
import { RegisterBodyError, decodeRegisterBrokerBody, registerBodyCrc32 } from '../../src/net/nameserver/register-broker-body.js';
import { RemotingClient } from '../../src/net/remoting-client.js';
import { RemotingCommand } from '../../src/net/remoting-command.js';
import { RequestCode, ResponseCode } from '../../src/net/codes.js';
import { parseClusterInfo } from '../../src/net/client/route.js';
import { silentLogger } from '../../src/net/logger.js';

// Found by fuzzing a NameServer process: numbers went through Number(), which takes "1e300".
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function start(): Promise<{ client: RemotingClient; addr: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'namesrv-num-'));
  const ns = new NameServer({ ...namesrvConfig(), listenPort: 0, bindAddress: '127.0.0.1', kvConfigPath: join(dir, 'kv.json') }, silentLogger);
  const port = await ns.start();
  const client = new RemotingClient();
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }), () => ns.shutdown(), () => client.close());
  return { client, addr: `127.0.0.1:${port}` };
}

const header = { clusterName: 'C', brokerAddr: '127.0.0.9:1', brokerName: 'b', haServerAddr: '127.0.0.9:2', brokerId: '0' };

function register(ext: Record<string, string>, body?: string): RemotingCommand {
  const bytes = body === undefined ? undefined : Buffer.from(body);
  return RemotingCommand.createRequest(RequestCode.REGISTER_BROKER, { ...ext, bodyCrc32: String(registerBodyCrc32(bytes)) }, bytes);
}

describe('NameServer numbers follow Java parseLong / int fields', () => {
  it('refuses brokerId "1e300", so cluster info stays readable by clients', async () => {
    const { client, addr } = await start();
    const bad = await client.invoke(addr, register({ ...header, brokerId: '1e300' }), 2000);
    expect(bad.code).toBe(ResponseCode.SYSTEM_ERROR);
    expect(bad.remark).toMatch(/<brokerId> is not a number/);
    expect((await client.invoke(addr, register(header), 2000)).code).toBe(ResponseCode.SUCCESS);
    const info = await client.invoke(addr, RemotingCommand.createRequest(RequestCode.GET_BROKER_CLUSTER_INFO), 2000);
    // Before the fix the body held the bare key 1e+300 and this threw "body does not parse".
    expect(parseClusterInfo(info.body).brokerAddrTable.get('b')?.brokerAddrs.get(0)).toBe('127.0.0.9:1');
  });

  it('refuses a register body whose queue count is not an int', async () => {
    const { client, addr } = await start();
    const body = '{"filterServerList":[],"topicConfigSerializeWrapper":{"dataVersion":{"counter":1,"timestamp":1},"topicConfigTable":{"T":{"perm":6,"readQueueNums":1e300,"topicName":"T","writeQueueNums":4}}}}';
    const res = await client.invoke(addr, register(header, body), 2000);
    expect(res.code).toBe(ResponseCode.SYSTEM_ERROR);
    expect(res.remark).toMatch(/T\.readQueueNums is not an int/);
    const route = await client.invoke(addr, RemotingCommand.createRequest(RequestCode.GET_ROUTEINFO_BY_TOPIC, { topic: 'T' }), 2000);
    expect(route.code).toBe(ResponseCode.TOPIC_NOT_EXIST);
  });

  it('decodes missing fields as defaults but mistyped ones as errors', () => {
    const plain = (tc: string) => Buffer.from(`{"topicConfigSerializeWrapper":{"topicConfigTable":{"T":${tc}}}}`);
    expect(decodeRegisterBrokerBody(plain('{}'), false).topicConfigs[0]).toMatchObject({ readQueueNums: 16, perm: 6 });
    expect(decodeRegisterBrokerBody(plain('{"readQueueNums":"8"}'), false).topicConfigs[0]!.readQueueNums).toBe(8);
    expect(() => decodeRegisterBrokerBody(plain('{"perm":{}}'), false)).toThrow(RegisterBodyError);
    expect(() => decodeRegisterBrokerBody(plain('{"writeQueueNums":2147483648}'), false)).toThrow(RegisterBodyError);
  });

  it('answers QUERY_DATA_VERSION with a body of null as Java does (changed), not with a TypeError', async () => {
    const { client, addr } = await start();
    const req = RemotingCommand.createRequest(RequestCode.QUERY_DATA_VERSION, { brokerAddr: '127.0.0.9:1' }, Buffer.from('null'));
    const res = await client.invoke(addr, req, 2000);
    expect(res.code).toBe(ResponseCode.SUCCESS);
    expect(res.extFields.changed).toBe('true');
    const garbage = RemotingCommand.createRequest(RequestCode.QUERY_DATA_VERSION, { brokerAddr: '127.0.0.9:1' }, Buffer.from('{x'));
    const bad = await client.invoke(addr, garbage, 2000);
    expect(bad.code).toBe(ResponseCode.SYSTEM_ERROR);
    expect(bad.remark).toMatch(/not a DataVersion/);
  });
});
