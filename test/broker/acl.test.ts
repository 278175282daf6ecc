import { mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { format } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { RequestCode } from '../../src/net/codes.js';
import { RemotingCommand } from '../../src/net/remoting-command.js';
import { calSignature, signRequest, signedContent } from '../../src/net/acl-signature.js';
import { AclError, Perm, checkPermission, parsePerm, parseResourcePerms } from '../../src/net/broker/acl-permission.js';
import { addressMatcher, expandIPv6 } from '../../src/net/broker/acl-remote-address.js';
import { readAclFile } from '../../src/net/broker/acl-config.js';
import { PlainAccessValidator } from '../../src/net/broker/plain-access-validator.js';
import { silentLogger, type Logger } from '../../src/net/logger.js';
import { removeTempDirs, tempDir } from '../helpers/broker-harness.js';
import { toolsCredentials } from '../../src/tools/tools-credentials.js';
import { SendRequestEncoder, sendSigner } from '../../src/net/client/send-request.js';

afterAll(removeTempDirs);

describe('ACL signature', () => {
  it('is HmacSHA1 in Base64, as RocketMQ AclSignerTest expects', () => {
    expect(calSignature(Buffer.from('RocketMQ'), '12345678')).toBe('IUc8rrO/0gDch8CjObLQsW2rsiA=');
  });

  it('covers the ext field values in Java key order, then the body; never the Signature or the unique-key flag', () => {
    const ext = { b: 'B', AccessKey: 'ak', a: 'A', Signature: 'x', _UNIQUE_KEY_QUERY: 'true', Z: 'z' };
    // UTF-16 order: upper case before lower case, '_' (0x5f) between them.
    expect(signedContent(ext, Buffer.from('body')).toString()).toBe('akzABbody');
    expect(signedContent(ext, undefined, true).toString()).toBe('akztrueAB');
    expect(signedContent({}, undefined).length).toBe(0);
  });

  it('signs a request so that a broker recomputing it from the ext fields agrees', () => {
    const cmd = RemotingCommand.createRequest(RequestCode.SEND_MESSAGE_V2, { a: 'group', b: 'Topic', c: 'TBW102', d: 4, e: 0 }, Buffer.from('hello'));
    signRequest(cmd, { accessKey: 'RocketMQ', secretKey: '12345678', securityToken: 'tok' });
    expect(cmd.extFields.AccessKey).toBe('RocketMQ');
    expect(cmd.extFields.SecurityToken).toBe('tok');
    const expected = calSignature(Buffer.from('RocketMQtokgroupTopicTBW10240hello'), '12345678');
    expect(cmd.extFields.Signature).toBe(expected);
    // Signing again (a retried request) replaces the signature instead of signing the old one.
    signRequest(cmd, { accessKey: 'RocketMQ', secretKey: '12345678', securityToken: 'tok' });
    expect(cmd.extFields.Signature).toBe(expected);
  });
});

describe('ACL permissions', () => {
  it('parses RocketMQ 4.9 permission strings, case-sensitively; anything else is DENY', () => {
    expect(parsePerm('PUB')).toBe(Perm.PUB);
    expect(parsePerm(' SUB ')).toBe(Perm.SUB);
    expect(parsePerm('PUB|SUB')).toBe(Perm.PUB | Perm.SUB);
    expect(parsePerm('SUB|PUB')).toBe(Perm.PUB | Perm.SUB);
    for (const s of ['DENY', 'ANY', 'pub', '', undefined, 'PUB|']) expect(parsePerm(s)).toBe(Perm.DENY);
  });

  it('checks needed against owned: DENY refuses all, ANY wants PUB or SUB', () => {
    expect(checkPermission(Perm.PUB, Perm.PUB | Perm.SUB)).toBe(true);
    expect(checkPermission(Perm.SUB, Perm.PUB)).toBe(false);
    expect(checkPermission(Perm.PUB, Perm.DENY | Perm.PUB)).toBe(false);
    expect(checkPermission(Perm.ANY, Perm.SUB)).toBe(true);
    expect(checkPermission(Perm.ANY, 0)).toBe(false);
  });

  it('keys groups by their retry topic and refuses an entry without one =', () => {
    const m = new Map<string, number>();
    parseResourcePerms(['topicA=DENY', 'topicB = PUB|SUB'], true, m);
    parseResourcePerms(['groupA==SUB'], false, m);
    expect([...m]).toEqual([['topicA', Perm.DENY], ['topicB', Perm.PUB | Perm.SUB], ['%RETRY%groupA', Perm.SUB]]);
    expect(() => parseResourcePerms(['topicC'], true, m)).toThrow('Parse resource permission failed for topic:topicC');
    expect(() => parseResourcePerms(['g=SUB=PUB'], false, m)).toThrow('Parse resource permission failed for group:g=SUB=PUB');
  });
});

describe('ACL white remote addresses', () => {
  const cases: [string, string[], string[]][] = [
    ['', [], ['127.0.0.1']],
    ['*', ['127.0.0.1', '::1'], []],
    ['*.*.*.*', ['10.1.2.3'], []],
    ['192.168.0.*', ['192.168.0.1', '192.168.0.255'], ['192.168.1.1', '10.168.0.1']],
    ['192.168.*.*', ['192.168.7.8'], ['192.169.0.1']],
    ['192.168.1.1-100', ['192.168.1.1', '192.168.1.100'], ['192.168.1.101', '192.168.1.0', '192.168.2.50']],
    ['127.0.1-200.*', ['127.0.1.9', '127.0.200.0'], ['127.0.0.1', '127.0.201.1']],
    ['192.168.0.{1,2}', ['192.168.0.1', '192.168.0.2'], ['192.168.0.3']],
    ['10.0.0.1,10.0.0.2', ['10.0.0.2'], ['10.0.0.3']],
    ['127.0.0.1', ['127.0.0.1'], ['127.0.0.2']],
    ['::1', ['::1', '0:0:0:0:0:0:0:1'], ['::2']],
    ['1050::0005:0600:300c:1-200', ['1050:0:0:0:5:600:300c:1', '1050::5:600:300c:c8'], ['1050::5:600:300c:201', '1051::5:600:300c:1']],
    ['1050::0005:0600:300c:*', ['1050::5:600:300c:ffff'], ['1050::5:600:300d:1']],
    ['1050::0005:0600:300c:1-200:*', ['1050:0:0:5:600:300c:10:abcd'], ['1050:0:0:5:600:300c:201:1']],
  ];
  for (const [pattern, yes, no] of cases) {
    it(`"${pattern}"`, () => {
      const m = addressMatcher(pattern);
      for (const ip of yes) expect(m(ip), ip).toBe(true);
      for (const ip of no) expect(m(ip), ip).toBe(false);
    });
  }

  it('refuses bad patterns with RocketMQ\'s messages', () => {
    expect(() => addressMatcher('256.0.0.1')).toThrow('Netaddress examine Exception netaddress is 256.0.0.1');
    expect(() => addressMatcher('::1ggg')).toThrow('Netaddress examine Exception netaddress is ::1ggg');
    expect(() => addressMatcher('127.0.0.1,2,3}')).toThrow('MultipleRemoteAddressStrategy netaddress examine scope Exception netaddress');
    expect(() => addressMatcher('192.168.1.100-1')).toThrow('RangeRemoteAddressStrategy netaddress examine scope Exception start is 100 , end is 1');
    expect(() => addressMatcher('192.168.1.-5')).toThrow('RangeRemoteAddressStrategy netaddress examine scope Exception value -5');
    expect(() => addressMatcher('192.168.1.1-300')).toThrow(AclError);
    expect(() => addressMatcher('192.300.*.*')).toThrow('Netaddress examine scope Exception netaddress is 192.300.*.*');
  });

  it('expands IPv6 addresses as AclUtils.expandIP', () => {
    expect(expandIPv6('::')).toBe('0000:0000:0000:0000:0000:0000:0000:0000');
    expect(expandIPv6('fe80::1')).toBe('FE80:0000:0000:0000:0000:0000:0000:0001');
    expect(expandIPv6('::ffff:10.0.0.1')).toBe('0000:0000:0000:0000:0000:FFFF:0A00:0001');
  });
});

function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const rec = (fmt: string, ...a: unknown[]): void => void lines.push(format(fmt, ...a));
  return { ...silentLogger, info: rec, warn: rec, error: rec, lines };
}

describe('ACL files', () => {
  it('reads YAML 1.1 as SnakeYAML does: numbers are strings, yes is true; unknown keys warn', () => {
    const dir = tempDir('acl-file-');
    const p = join(dir, 'plain_acl.yml');
    writeFileSync(p, 'globalWhiteRemoteAddresses: [10.10.103.*]\naccounts:\n  - accessKey: RocketMQ\n    secretKey: 12345678\n    admin: yes\n    colour: red\n    topicPerms: [topicA=DENY]\ndataVersion:\n  - counter: 3\n    timestamp: 1700000000000\n');
    const warnings: string[] = [];
    const f = readAclFile(p, (m) => warnings.push(m));
    expect(f.accounts).toEqual([{ accessKey: 'RocketMQ', secretKey: '12345678', admin: true, topicPerms: ['topicA=DENY'] }]);
    expect(f.globalWhiteRemoteAddresses).toEqual(['10.10.103.*']);
    expect(f.dataVersion).toEqual({ counter: 3, timestamp: 1700000000000 });
    expect(warnings.join()).toContain('unknown key colour');
  });

  it('refuses short keys without printing the secret, and a file that is not YAML', () => {
    const dir = tempDir('acl-file-');
    const p = join(dir, 'plain_acl.yml');
    writeFileSync(p, 'accounts:\n  - accessKey: short\n    secretKey: hunter2secret\n');
    expect(() => readAclFile(p)).toThrow('The accessKey=short and secretKey cannot be null and length should longer than 6');
    writeFileSync(p, 'accounts: [\n');
    expect(() => readAclFile(p)).toThrow(/not valid YAML/);
    expect(readAclFile(join(dir, 'missing.yml')).accounts).toEqual([]);
  });
});

/** A request as it arrives, signed with `secret` when given. */
function request(code: number, ext: Record<string, string>, opts: { ak?: string; secret?: string; body?: Buffer } = {}): RemotingCommand {
  const cmd = RemotingCommand.createRequest(code, ext, opts.body);
  if (opts.ak) signRequest(cmd, { accessKey: opts.ak, secretKey: opts.secret ?? '12345678' });
  return cmd;
}

const ACL_YML = `globalWhiteRemoteAddresses:
  - 10.10.103.*
accounts:
  - accessKey: RocketMQ
    secretKey: 12345678
    whiteRemoteAddress:
    admin: false
    defaultTopicPerm: DENY
    defaultGroupPerm: SUB
    topicPerms:
      - topicA=DENY
      - topicB=PUB|SUB
      - topicC=SUB
    groupPerms:
      - groupA=DENY
      - groupB=PUB|SUB
  - accessKey: rocketmq2
    secretKey: 87654321
    whiteRemoteAddress: 192.168.1.*
    admin: true
`;

function homeWith(yml: string): string {
  const home = tempDir('acl-home-');
  mkdirSync(join(home, 'conf'), { recursive: true });
  writeFileSync(join(home, 'conf', 'plain_acl.yml'), yml);
  return home;
}

describe('PlainAccessValidator', () => {
  const v = new PlainAccessValidator(homeWith(ACL_YML), silentLogger);
  const from = '127.0.0.1:5000';
  const send = (topic: string, o: { ak?: string; secret?: string } = { ak: 'RocketMQ' }) =>
    request(RequestCode.SEND_MESSAGE_V2, { a: 'pg', b: topic, c: 'TBW102', d: '4', e: '0' }, { ...o, body: Buffer.from('x') });

  it('passes a signed request on a resource the account holds', () => {
    expect(() => v.check(send('topicB'), from)).not.toThrow();
  });

  it('refuses as RocketMQ words it', () => {
    expect(() => v.check(send('topicB', {}), from)).toThrow('No accessKey is configured');
    expect(() => v.check(send('topicB', { ak: 'Nobody12' }), from)).toThrow('No acl config for Nobody12');
    expect(() => v.check(send('topicB', { ak: 'RocketMQ', secret: 'wrong-secret' }), from)).toThrow('Check signature failed for accessKey=RocketMQ');
    expect(() => v.check(send('topicA'), from)).toThrow('No default permission for topic:topicA');
    // SUB on topicC is not PUB; an unlisted topic falls back to defaultTopicPerm (DENY).
    expect(() => v.check(send('topicC'), from)).toThrow('No default permission for topic:topicC');
    expect(() => v.check(send('other'), from)).toThrow('No default permission for topic:other');
    expect(() => v.check(request(RequestCode.UPDATE_AND_CREATE_TOPIC, { topic: 'T' }, { ak: 'RocketMQ' }), from)).toThrow(
      'Need admin permission for request code=17, but accessKey=RocketMQ is not',
    );
    // Maintenance that deletes queues or rewrites offsets is for admins too (RocketMQ 4.9: anyone).
    for (const code of [RequestCode.CLEAN_UNUSED_TOPIC, RequestCode.CLEAN_EXPIRED_CONSUMEQUEUE, RequestCode.CLONE_GROUP_OFFSET, RequestCode.RESUME_CHECK_HALF_MESSAGE, RequestCode.DELETE_EXPIRED_COMMITLOG]) {
      expect(() => v.check(request(code, {}, { ak: 'RocketMQ' }), from)).toThrow(`Need admin permission for request code=${code}, but accessKey=RocketMQ is not`);
    }
  });

  it('notices a body changed after signing', () => {
    const cmd = send('topicB');
    cmd.body = Buffer.from('y');
    expect(() => v.check(cmd, from)).toThrow('Check signature failed');
  });

  it('checks pulls against the topic and the group (as its retry topic), with the group default', () => {
    const pull = (topic: string, group: string) => request(RequestCode.PULL_MESSAGE, { topic, consumerGroup: group, queueId: '0' }, { ak: 'RocketMQ' });
    expect(() => v.check(pull('topicC', 'groupB'), from)).not.toThrow();
    expect(() => v.check(pull('topicC', 'someGroup'), from)).not.toThrow(); // defaultGroupPerm SUB
    expect(() => v.check(pull('topicC', 'groupA'), from)).toThrow('No default permission for group:groupA');
    expect(() => v.check(pull('topicA', 'groupB'), from)).toThrow('No default permission for topic:topicA');
    // A consumer's send back to its retry topic needs SUB on the group, not PUB on a topic.
    expect(() => v.check(send('%RETRY%groupB'), from)).not.toThrow();
  });

  it('reads the heartbeat body for groups and subscribed topics', () => {
    const hb = (topic: string) =>
      request(RequestCode.HEART_BEAT, {}, { ak: 'RocketMQ', body: Buffer.from(JSON.stringify({ clientID: 'c', producerDataSet: [], consumerDataSet: [{ groupName: 'groupB', subscriptionDataSet: [{ topic, subString: '*' }] }] })) });
    expect(() => v.check(hb('topicC'), from)).not.toThrow();
    expect(() => v.check(hb('topicA'), from)).toThrow('No default permission for topic:topicA');
  });

  it('lets white-listed addresses through without a signature', () => {
    expect(() => v.check(send('topicA', {}), '10.10.103.7:1234')).not.toThrow();
    // The account's own white address skips the signature and permission checks too.
    expect(() => v.check(send('anything', { ak: 'rocketmq2', secret: 'not-the-secret' }), '192.168.1.20:1')).not.toThrow();
    expect(() => v.check(send('anything', { ak: 'rocketmq2', secret: 'not-the-secret' }), '192.168.2.20:1')).toThrow('Check signature failed');
  });

  it('gives an admin without resource lists everything, and sends PUB-only traces through', () => {
    const admin = { ak: 'rocketmq2', secret: '87654321' };
    expect(() => v.check(send('anything', admin), from)).not.toThrow();
    expect(() => v.check(request(RequestCode.DELETE_TOPIC_IN_BROKER, { topic: 'T' }, admin), from)).not.toThrow();
    expect(() => v.check(send('RMQ_SYS_TRACE_TOPIC'), from)).not.toThrow();
  });

  it('accepts a unique-key query signed with or without the flag (RocketMQ clients differ)', () => {
    const q = request(RequestCode.QUERY_MESSAGE, { topic: 'topicC', key: 'k', maxNum: '32', beginTimestamp: '0', endTimestamp: '1', _UNIQUE_KEY_QUERY: 'true' }, { ak: 'RocketMQ' });
    expect(() => v.check(q, from)).not.toThrow();
    q.extFields.Signature = calSignature(signedContent(q.extFields, undefined, true), '12345678');
    expect(() => v.check(q, from)).not.toThrow();
  });
});

describe('PlainAccessValidator files', () => {
  it('reloads a changed file; a broken edit keeps the previous rules and says why', () => {
    const home = homeWith(ACL_YML);
    const log = recordingLogger();
    const v = new PlainAccessValidator(home, log);
    const p = join(home, 'conf', 'plain_acl.yml');
    const newcomer = request(RequestCode.SEND_MESSAGE_V2, { a: 'g', b: 'T1', c: 'TBW102', d: '4', e: '0' }, { ak: 'Newcomer', secret: 'newcomer-secret' });
    expect(() => v.check(newcomer, '127.0.0.1:1')).toThrow('No acl config for Newcomer');
    writeFileSync(p, ACL_YML + '  - accessKey: Newcomer\n    secretKey: newcomer-secret\n    defaultTopicPerm: PUB\n');
    utimesSync(p, new Date(), new Date(Date.now() + 2000));
    v.reloadIfChanged();
    expect(() => v.check(newcomer, '127.0.0.1:1')).not.toThrow();
    writeFileSync(p, 'accounts: [\n');
    utimesSync(p, new Date(), new Date(Date.now() + 4000));
    v.reloadIfChanged();
    expect(() => v.check(newcomer, '127.0.0.1:1')).not.toThrow();
    expect(log.lines.join('\n')).toMatch(/reload failed, the previous rules stay in force: .*not valid YAML/);
  });

  it('also loads conf/acl/*.yml; the default file wins a repeated key', () => {
    const home = homeWith(ACL_YML);
    mkdirSync(join(home, 'conf', 'acl', 'team'), { recursive: true });
    writeFileSync(join(home, 'conf', 'acl', 'team', 'a.yaml'), 'accounts:\n  - accessKey: TeamUser\n    secretKey: team-secret\n    defaultTopicPerm: PUB\n  - accessKey: RocketMQ\n    secretKey: other-secret\n');
    writeFileSync(join(home, 'conf', 'tools.yml'), 'accessKey: ToolsUser\nsecretKey: tools-secret\n');
    const log = recordingLogger();
    const v = new PlainAccessValidator(home, log);
    const sendAs = (ak: string, secret: string) => request(RequestCode.SEND_MESSAGE_V2, { a: 'g', b: 'topicB', c: 'TBW102', d: '4', e: '0' }, { ak, secret });
    expect(() => v.check(sendAs('TeamUser', 'team-secret'), '127.0.0.1:1')).not.toThrow();
    expect(() => v.check(sendAs('RocketMQ', '12345678'), '127.0.0.1:1')).not.toThrow();
    expect(() => v.check(sendAs('RocketMQ', 'other-secret'), '127.0.0.1:1')).toThrow('Check signature failed');
    expect(() => v.check(sendAs('ToolsUser', 'tools-secret'), '127.0.0.1:1')).toThrow('No acl config for ToolsUser');
    expect(log.lines.join('\n')).toContain('RocketMQ is repeated in multiple ACL files');
    expect(Object.keys(v.allVersions)).toHaveLength(2);
  });

  it('refuses to start on a bad pattern or permission list', () => {
    expect(() => new PlainAccessValidator(homeWith('globalWhiteRemoteAddresses: [300.1.1.1]\n'), silentLogger)).toThrow('Netaddress examine Exception netaddress is 300.1.1.1');
    expect(() => new PlainAccessValidator(homeWith('accounts:\n  - accessKey: RocketMQ\n    secretKey: 12345678\n    topicPerms: [topicA]\n'), silentLogger)).toThrow('Parse resource permission failed for topic:topicA');
  });

  it('updates, deletes and re-lists accounts in the file, bumping its data version, and refuses bad updates untouched', () => {
    const home = homeWith(ACL_YML);
    const v = new PlainAccessValidator(home, silentLogger);
    const p = join(home, 'conf', 'plain_acl.yml');
    v.updateAccessConfig({ accessKey: 'Fresh-user', secretKey: 'fresh-secret', admin: false, defaultTopicPerm: 'PUB', topicPerms: ['topicZ=SUB'] });
    expect(v.version.counter).toBe(1);
    const written = readAclFile(p);
    expect(written.accounts.map((a) => a.accessKey)).toEqual(['RocketMQ', 'rocketmq2', 'Fresh-user']);
    expect(written.accounts[2]).toMatchObject({ secretKey: 'fresh-secret', defaultTopicPerm: 'PUB', topicPerms: ['topicZ=SUB'] });
    // A merge keeps what the update leaves out, but admin is always set (as RocketMQ).
    v.updateAccessConfig({ accessKey: 'rocketmq2', secretKey: 'rotated-secret', admin: false });
    const r2 = readAclFile(p).accounts.find((a) => a.accessKey === 'rocketmq2')!;
    expect(r2).toMatchObject({ secretKey: 'rotated-secret', whiteRemoteAddress: '192.168.1.*', admin: false });
    const before = readFileSync(p, 'utf8');
    expect(() => v.updateAccessConfig({ accessKey: 'Fresh-user', secretKey: 'fresh-secret', topicPerms: ['topicZ=READ'] })).toThrow("Parse resource permission error for topicZ=READ");
    expect(() => v.updateAccessConfig({ accessKey: 'Fresh-user', secretKey: 'fresh-secret', whiteRemoteAddress: '999.1.1.1' })).toThrow('Netaddress examine');
    expect(() => v.updateAccessConfig({ accessKey: 'short', secretKey: 'fresh-secret' })).toThrow('length should longer than 6');
    expect(readFileSync(p, 'utf8')).toBe(before);
    expect(v.deleteAccessConfig('Fresh-user')).toBe(true);
    expect(v.deleteAccessConfig('Fresh-user')).toBe(false);
    v.updateGlobalWhiteAddrs(['127.0.0.*']);
    expect(readAclFile(p).globalWhiteRemoteAddresses).toEqual(['127.0.0.*']);
    expect(v.version.counter).toBe(4);
    expect(() => v.check(request(RequestCode.PULL_MESSAGE, { topic: 'x', consumerGroup: 'y' }), '127.0.0.9:1')).not.toThrow();
    expect(() => v.updateGlobalWhiteAddrs(['*'], '/etc/passwd')).toThrow("is not one of this broker's ACL files");
  });
});

describe('mqadmin credentials (conf/tools.yml)', () => {
  it('signs only with both keys present; a file that is not YAML is an error', () => {
    const home = tempDir('acl-tools-');
    expect(toolsCredentials(home)).toEqual({ accessKey: '', secretKey: '' });
    mkdirSync(join(home, 'conf'));
    const p = join(home, 'conf', 'tools.yml');
    writeFileSync(p, 'accessKey: rocketmq2\nsecretKey: 12345678\n');
    expect(toolsCredentials(home)).toEqual({ accessKey: 'rocketmq2', secretKey: '12345678' });
    writeFileSync(p, 'accessKey: rocketmq2\nsecretKey:\n');
    expect(toolsCredentials(home)).toEqual({ accessKey: '', secretKey: '' });
    writeFileSync(p, '# accessKey: x\n');
    expect(toolsCredentials(home)).toEqual({ accessKey: '', secretKey: '' });
    writeFileSync(p, 'accessKey: [\n');
    expect(() => toolsCredentials(home)).toThrow(/tools.yml: not valid YAML/);
  });
});

describe('signed sends on the producer\'s byte-written header path', () => {
  it('carry a signature the broker accepts, over the body and every field', () => {
    const v = new PlainAccessValidator(homeWith(ACL_YML), silentLogger);
    for (const [batch, token] of [[false, ''], [true, 'sts-token']] as const) {
      const enc = new SendRequestEncoder('pg', 'TBW102', 4, undefined, sendSigner('RocketMQ', token, '12345678'));
      const cmd = enc.build(batch ? 320 : 310, 'topicB', 3, 0, 1700000000000, 0, 'UNIQ_KEY\u0001ABC\u0002TAGS\u0001t"q', Buffer.from('payload'));
      const frame = cmd.encode();
      // What the broker gets: the frame without its length prefix.
      const got = RemotingCommand.decode(frame.subarray(4));
      expect(got.extFields.AccessKey).toBe('RocketMQ');
      expect(got.extFields.SecurityToken).toBe(token || undefined);
      expect(() => v.check(got, '127.0.0.1:1')).not.toThrow();
      got.body = Buffer.from('payloaD');
      expect(() => v.check(got, '127.0.0.1:1')).toThrow('Check signature failed');
    }
  });
});
