import { describe, expect, it } from 'vitest';
import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { replaceFileSync } from '../../src/net/replace-file.js';
import { readAclFile, writeAclFile } from '../../src/net/broker/acl-config.js';
import { KvConfig } from '../../src/net/nameserver/kv-config.js';
import { tempDir } from '../helpers/store-paths.js';

describe('replaceFileSync (ACL file, NameServer KV table)', () => {
  it('replaces the file, keeps its permissions, keeps a backup when asked, and leaves no temporary', () => {
    const { dir, cleanup } = tempDir();
    try {
      const f = join(dir, 'plain_acl.yml');
      writeFileSync(f, 'old');
      chmodSync(f, 0o600);
      replaceFileSync(f, 'new', { backup: true });
      expect(readFileSync(f, 'utf8')).toBe('new');
      expect(readFileSync(`${f}.bak`, 'utf8')).toBe('old');
      expect(statSync(f).mode & 0o777).toBe(0o600);
      replaceFileSync(join(dir, 'fresh.json'), '{}');
      expect(statSync(join(dir, 'fresh.json')).mode & 0o777).toBe(0o644);
      expect(readdirSync(dir).sort()).toEqual(['fresh.json', 'plain_acl.yml', 'plain_acl.yml.bak']);
    } finally {
      cleanup();
    }
  });

  it('throws when the file cannot be replaced, leaving what was there and no temporary', () => {
    const { dir, cleanup } = tempDir();
    try {
      const f = join(dir, 'kv.json');
      mkdirSync(f);
      expect(() => replaceFileSync(f, '{}')).toThrow(/EISDIR|EEXIST|ENOTEMPTY/);
      expect(statSync(f).isDirectory()).toBe(true);
      expect(readdirSync(dir)).toEqual(['kv.json']);
    } finally {
      cleanup();
    }
  });

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
});
