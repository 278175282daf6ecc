import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { allConfigsText, brokerSettings, loadBrokerConfig, parseDelayLevels } from '../../src/net/broker/broker-config.js';
import { updateBrokerConfig } from '../../src/net/broker/config-update.js';
import { STORE_DEFAULTS, parsePropertiesText } from '../../src/store/index.js';
import { repoRoot, tempDir } from '../helpers/broker-harness.js';

const settings = (text: string, warn?: (m: string) => void, namesrvAddr?: string) =>
  brokerSettings(parsePropertiesText(text), { namesrvAddr }, warn);

describe('broker config', () => {
  it('has RocketMQ defaults and splits broker and store keys from one file', () => {
    const dir = tempDir();
    const file = join(dir, 'broker.conf');
    writeFileSync(file, `brokerClusterName=C1\nbrokerName=broker-a\nlistenPort=20911\ndeleteWhen=03\nfileReservedTime=48\nflushDiskType=SYNC_FLUSH\nstorePathRootDir=${dir}/s\n`);
    const { broker, store } = loadBrokerConfig(file);
    expect(broker).toMatchObject({
      brokerClusterName: 'C1', brokerName: 'broker-a', brokerId: 0, listenPort: 20911, autoCreateTopicEnable: true, autoCreateSubscriptionGroup: true,
      defaultTopicQueueNums: 8, longPollingEnable: true, shortPollingTimeMills: 1000, flushConsumerOffsetInterval: 5000, registerNameServerPeriod: 30_000,
      slaveReadEnable: false, rejectTransactionMessage: false, regionId: 'DefaultRegion', traceOn: true, brokerPermission: 6, clientChannelExpiredTime: 120_000,
    });
    expect(store).toMatchObject({ deleteWhen: '03', fileReservedTime: 48, flushDiskType: 'SYNC_FLUSH', storePathRootDir: `${dir}/s`, haListenPort: 20912 });
    expect(broker.brokerIP1).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    rmSync(dir, { recursive: true, force: true });
  });

  it('ships conf files that load without warnings, each set runnable on one machine, no store inside another', () => {
    const sets: Record<string, string[]> = { '.': ['broker.conf'] };
    for (const d of ['2m-noslave', '2m-2s-async', '2m-2s-sync']) sets[d] = readdirSync(join(repoRoot, 'conf', d));
    expect(sets['2m-2s-sync']!.sort()).toEqual(['broker-a-s.properties', 'broker-a.properties', 'broker-b-s.properties', 'broker-b.properties']);
    const allStores: string[] = [];
    for (const [d, files] of Object.entries(sets)) {
      const ports = new Set<number>();
      const stores = new Set<string>();
      for (const f of files) {
        const warnings: string[] = [];
        const { broker, store } = loadBrokerConfig(join(repoRoot, 'conf', d, f), {}, (m) => warnings.push(m));
        expect(warnings, f).toEqual([]);
        for (const p of [broker.listenPort - 2, broker.listenPort, broker.listenPort + 1]) {
          expect(ports.has(p), `${d}/${f} port ${p}`).toBe(false);
          ports.add(p);
        }
        stores.add(store.storePathRootDir);
        expect(store.brokerRole === 'SLAVE', f).toBe(f.endsWith('-s.properties'));
        expect(broker.brokerId, f).toBe(f.endsWith('-s.properties') ? 1 : 0);
      }
      expect(stores.size).toBe(files.length);
      allStores.push(...stores);
    }
    // Sets run one after another on one machine, next to `npm start` and a broker without -c (both
    // on the default root): a store root that holds another store's directory is refused at start.
    allStores.push(STORE_DEFAULTS.storePathRootDir);
    for (const a of allStores) {
      for (const b of allStores) if (a !== b) expect(b.startsWith(`${a}/`), `${b} inside ${a}`).toBe(false);
    }
  });

  it('warns once naming an unknown key, accepts Java tuning keys silently', () => {
    const warnings: string[] = [];
    settings('brokerNmae=typo\nsendMessageThreadPoolNums=16\n', (m) => warnings.push(m));
    expect(warnings).toEqual(['unknown config key "brokerNmae" ignored']);
  });

  it('names the key of a bad value', () => {
    expect(() => settings('listenPort=abc')).toThrow(/listenPort/);
    expect(() => settings('brokerRole=SLAVE ')).toThrow(/brokerRole/);
    expect(() => settings('autoCreateTopicEnable=yes')).toThrow(/autoCreateTopicEnable/);
    expect(() => settings('namesrvAddr=nohostport')).toThrow(/namesrvAddr/);
    expect(() => settings('messageDelayLevel=1s 5x')).toThrow(/messageDelayLevel/);
    expect(() => settings('brokerRole=SLAVE\nbrokerId=0')).toThrow(/brokerId/);
  });

  it('rejects numbers out of range naming the key, instead of a broker that fails every request', () => {
    expect(() => settings('listenPort=70000')).toThrow(/"listenPort".*at most 65535/);
    expect(() => settings('maxMessageSize=-1')).toThrow(/"maxMessageSize".*at least 1/);
    expect(() => settings('maxMessageSize=0')).toThrow(/"maxMessageSize"/);
    expect(() => settings('flushIntervalCommitLog=0')).toThrow(/"flushIntervalCommitLog"/);
    expect(() => settings('clientChannelExpiredTime=0')).toThrow(/"clientChannelExpiredTime"/);
    expect(() => settings('fileReservedTime=-48')).toThrow(/"fileReservedTime".*at least 0/);
    expect(() => settings('diskMaxUsedSpaceRatio=101')).toThrow(/"diskMaxUsedSpaceRatio"/);
    expect(() => settings('defaultTopicQueueNums=0')).toThrow(/"defaultTopicQueueNums"/);
    expect(settings('flushCommitLogLeastPages=0\nlistenPort=0').store.flushCommitLogLeastPages).toBe(0);
  });

  it('forces masters to brokerId 0 and lets -n override namesrvAddr', () => {
    const s = settings('brokerId=3\nnamesrvAddr=1.1.1.1:9876', undefined, '127.0.0.1:9876;127.0.0.1:9877');
    expect(s.broker.brokerId).toBe(0);
    expect(s.broker.namesrvAddr).toBe('127.0.0.1:9876;127.0.0.1:9877');
    expect(settings('brokerRole=SLAVE\nbrokerId=1').broker.brokerId).toBe(1);
  });

  it('refuses filter servers, which are not built, naming the key', () => {
    expect(settings('filterServerNums=0').broker.filterServerNums).toBe(0);
    expect(() => settings('filterServerNums=2')).toThrow(/"filterServerNums": filter servers are not supported/);
  });

  it('reports the keys RocketMQ\'s tools read from a broker\'s config (exportConfigs fails without them)', () => {
    const lines = (s: ReturnType<typeof settings>) => allConfigsText(s.broker, s.store).split('\n');
    const plain = lines(settings(''));
    expect(plain).toEqual(expect.arrayContaining(['filterServerNums=0', 'traceOn=true', 'useTLS=false', `clientCallbackExecutorThreads=${availableParallelism()}`, 'msgTraceTopicName=RMQ_SYS_TRACE_TOPIC']));
    const dir = tempDir();
    const tls = join(dir, 'tls.properties');
    writeFileSync(tls, 'tls.server.mode=enforcing\n');
    // An enforcing server's broker speaks TLS to its NameServers too.
    expect(lines(settings(`tlsConfigFile=${tls}`))).toContain('useTLS=true');
    // The text loads back as a config file without a warning (mqbroker -p > broker.conf).
    const warnings: string[] = [];
    settings(allConfigsText(settings('').broker, settings('').store), (m) => warnings.push(m));
    expect(warnings).toEqual([]);
    // A useTLS that disagrees with the TLS mode is not silently believed.
    settings('useTLS=true', (m) => warnings.push(m));
    expect(warnings).toEqual([expect.stringMatching(/"useTLS"=true ignored: .*tls.server.mode is enforcing/)]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses an update whose settings would not start again, writing nothing', async () => {
    const dir = tempDir();
    const file = join(dir, 'broker.conf');
    writeFileSync(file, 'brokerName=broker-a\n');
    const s = loadBrokerConfig(file);
    for (const [k, v, why] of [
      ['filterServerNums', '1', /filterServerNums/],
      ['brokerName', 'broker a', /"brokerName".*illegal characters/],
      ['brokerClusterName', 'a/b', /"brokerClusterName"/],
      ['namesrvAddr', 'nohostport', /"namesrvAddr"/],
      ['brokerRole', 'SLAVE', /"brokerId": a SLAVE needs brokerId > 0/],
    ] as const) {
      await expect(updateBrokerConfig(s, new Map([[k, v]]), file), k).rejects.toThrow(why);
    }
    expect(readFileSync(file, 'utf8')).toBe('brokerName=broker-a\n');
    expect(s.broker.brokerName).toBe('broker-a');
    // With its brokerId, the role change is a valid one (it holds from the next start).
    expect(await updateBrokerConfig(s, new Map([['brokerRole', 'SLAVE'], ['brokerId', '1']]), file)).toEqual({ live: [], atRestart: ['brokerId', 'brokerRole'] });
    expect(loadBrokerConfig(file).store.brokerRole).toBe('SLAVE');
    // A master whose file already names a brokerId (ignored while it is a master: it runs as 0)
    // becomes a SLAVE by its role alone, as the file that results would start.
    writeFileSync(file, 'brokerName=broker-a\nbrokerId=2\n');
    const master = loadBrokerConfig(file);
    expect(master.broker.brokerId).toBe(0);
    expect(await updateBrokerConfig(master, new Map([['brokerRole', 'SLAVE']]), file)).toEqual({ live: [], atRestart: ['brokerRole'] });
    expect(loadBrokerConfig(file).broker.brokerId).toBe(2);
    rmSync(dir, { recursive: true, force: true });
  });

  it('parses delay levels', () => {
    expect(parseDelayLevels('1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h')).toHaveLength(18);
    expect(parseDelayLevels('50ms 1m 2h 1d')).toEqual([50, 60_000, 7_200_000, 86_400_000]);
  });
});
