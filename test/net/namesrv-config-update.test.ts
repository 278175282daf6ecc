import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Proc, removeTempDirs, spawnNamesrv, tempDir } from '../helpers/broker-harness.js';
import { runMqadmin } from '../helpers/mqadmin-run.js';

/** mqadmin getNamesrvConfig / updateNamesrvConfig against a NameServer process started with -c. */
let dir: string;
let ns: { proc: Proc; addr: string };

beforeAll(async () => {
  dir = tempDir('namesrv-cfg-');
  ns = await spawnNamesrv(dir, '# kept comment\norderMessageEnable=false\n');
});

afterAll(() => {
  Proc.killAll();
  removeTempDirs();
});

const confFile = (): string => join(dir, `namesrv-${ns.addr.split(':')[1]}.properties`);

describe('NameServer config over the wire', () => {
  it('shows the settings, changes a live one in memory and in the -c file, and refuses bad updates by name', async () => {
    const shown = await runMqadmin(ns.addr, ['getNamesrvConfig']);
    expect(shown.out.split('\n')[0]).toBe(`============${ns.addr}============`);
    expect(shown.out).toContain(`${'orderMessageEnable'.padEnd(50)}=  false\n`);
    const upd = await runMqadmin(ns.addr, ['updateNamesrvConfig', '-k', 'orderMessageEnable', '-v', 'true']);
    expect(upd.out).toBe(`update name server config success![${ns.addr}]\norderMessageEnable : true\n`);
    expect((await runMqadmin(ns.addr, ['getNamesrvConfig'])).out).toContain(`${'orderMessageEnable'.padEnd(50)}=  true\n`);
    const file = readFileSync(confFile(), 'utf8');
    expect(file).toContain('# kept comment\norderMessageEnable=true\n');
    for (const [k, v, why] of [
      ['kvConfigPath', '/tmp/elsewhere.json', 'Can not update config in black list: kvConfigPath'],
      ['brokerChannelExpiredTime', 'soon', 'brokerChannelExpiredTime'],
      ['noSuchKey', '1', 'unknown config key "noSuchKey"'],
    ] as const) {
      const r = await runMqadmin(ns.addr, ['updateNamesrvConfig', '-k', k, '-v', v]);
      expect(r.code, k).toBe(1);
      expect(r.err).toContain(why);
    }
    expect(readFileSync(confFile(), 'utf8')).toBe(file);
  });
});
