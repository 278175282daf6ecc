import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { brokerSettings, loadBrokerConfig, parseDelayLevels } from '../../src/net/broker/broker-config.js';
import { parsePropertiesText } from '../../src/store/index.js';
import { tempDir } from '../helpers/broker-harness.js';

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

  it('forces masters to brokerId 0 and lets -n override namesrvAddr', () => {
    const s = settings('brokerId=3\nnamesrvAddr=1.1.1.1:9876', undefined, '127.0.0.1:9876;127.0.0.1:9877');
    expect(s.broker.brokerId).toBe(0);
    expect(s.broker.namesrvAddr).toBe('127.0.0.1:9876;127.0.0.1:9877');
    expect(settings('brokerRole=SLAVE\nbrokerId=1').broker.brokerId).toBe(1);
  });

  it('parses delay levels', () => {
    expect(parseDelayLevels('1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h')).toHaveLength(18);
    expect(parseDelayLevels('50ms 1m 2h 1d')).toEqual([50, 60_000, 7_200_000, 86_400_000]);
  });
});
