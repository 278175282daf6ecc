import { describe, expect, it } from 'vitest';
import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { replaceFile, replaceFileSync } from '../../src/store/replace-file.js';
import { ConfigFileWriter } from '../../src/net/broker/config-file.js';
import { LocalFileOffsetStore } from '../../src/net/client/local-offset-store.js';
import { rewritePropertiesFile } from '../../src/store/properties-file.js';
import { silentLogger } from '../../src/net/logger.js';
import { readAclFile, writeAclFile } from '../../src/net/broker/acl-config.js';
import { KvConfig } from '../../src/net/nameserver/kv-config.js';
import { tempDir } from '../helpers/store-paths.js';

const variants = [
  { name: 'replaceFileSync', replace: async (path: string, text: string, opts?: { backup?: boolean }) => replaceFileSync(path, text, opts) },
  { name: 'replaceFile', replace: replaceFile },
];

describe.each(variants)('$name', ({ replace }) => {
  it('replaces the file, keeps its permissions, keeps a backup when asked, and leaves no temporary', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const f = join(dir, 'plain_acl.yml');
      writeFileSync(f, 'old');
      chmodSync(f, 0o600);
      await replace(f, 'new', { backup: true });
      expect(readFileSync(f, 'utf8')).toBe('new');
      expect(readFileSync(`${f}.bak`, 'utf8')).toBe('old');
      expect(statSync(f).mode & 0o777).toBe(0o600);
      await replace(join(dir, 'fresh.json'), '{}', { backup: true });
      expect(statSync(join(dir, 'fresh.json')).mode & 0o777).toBe(0o644);
      expect(readdirSync(dir).sort()).toEqual(['fresh.json', 'plain_acl.yml', 'plain_acl.yml.bak']);
    } finally {
      cleanup();
    }
  });

  it('throws when the file cannot be replaced, leaving what was there and no temporary', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const f = join(dir, 'kv.json');
      mkdirSync(f);
      await expect(replace(f, '{}')).rejects.toThrow(/EISDIR|EEXIST|ENOTEMPTY/);
      expect(statSync(f).isDirectory()).toBe(true);
      expect(readdirSync(dir)).toEqual(['kv.json']);
    } finally {
      cleanup();
    }
  });
});

describe('files replaced whole keep their permissions', () => {
  it('an ACL update keeps a 0600 account file 0600; a KV update keeps its file mode', () => {
    const { dir, cleanup } = tempDir();
    try {
      const acl = join(dir, 'plain_acl.yml');
      writeFileSync(acl, 'globalWhiteRemoteAddresses: []\naccounts:\n  - accessKey: RocketMQ\n    secretKey: "12345678"\n    admin: true\n');
      chmodSync(acl, 0o600);
      const file = readAclFile(acl);
      writeAclFile(file);
      expect(statSync(acl).mode & 0o777).toBe(0o600);
      expect(readAclFile(acl).accounts.map((a) => a.accessKey)).toEqual(['RocketMQ']);
      const kv = join(dir, 'kvConfig.json');
      writeFileSync(kv, '{"configTable":{}}');
      chmodSync(kv, 0o640);
      new KvConfig(kv).put('ORDER_TOPIC_CONFIG', 'T', 'b:4');
      expect(statSync(kv).mode & 0o777).toBe(0o640);
      expect(readFileSync(kv, 'utf8')).toContain('ORDER_TOPIC_CONFIG');
    } finally {
      cleanup();
    }
  });

  it("the broker's config/*.json, a -c properties file and a broadcasting consumer's offsets keep theirs", async () => {
    const { dir, cleanup } = tempDir();
    try {
      const topics = join(dir, 'topics.json');
      writeFileSync(topics, '{}');
      chmodSync(topics, 0o600);
      await new ConfigFileWriter(topics).write('{"topicConfigTable":{}}');
      expect(statSync(topics).mode & 0o777).toBe(0o600);
      expect(statSync(`${topics}.bak`).isFile()).toBe(true);
      const conf = join(dir, 'broker.conf');
      writeFileSync(conf, 'brokerName=b\n');
      chmodSync(conf, 0o640);
      await rewritePropertiesFile(conf, new Map([['deleteWhen', '03']]));
      expect(readFileSync(conf, 'utf8')).toBe('brokerName=b\ndeleteWhen=03\n');
      expect(statSync(conf).mode & 0o777).toBe(0o640);
      const offsets = new LocalFileOffsetStore(dir, 'client@1', 'G', silentLogger);
      offsets.updateOffset({ topic: 'T', brokerName: 'b', queueId: 0 }, 7, false);
      await offsets.persist();
      chmodSync(offsets.path, 0o600);
      offsets.updateOffset({ topic: 'T', brokerName: 'b', queueId: 0 }, 9, false);
      await offsets.persist();
      expect(statSync(offsets.path).mode & 0o777).toBe(0o600);
      expect(readFileSync(offsets.path, 'utf8')).toContain(':9}');
      expect(readdirSync(join(dir, 'client@1', 'G'))).toEqual(['offsets.json']);
    } finally {
      cleanup();
    }
  });
});
