import { describe, expect, it } from 'vitest';
import { namesrvConfig } from '../../src/net/nameserver/namesrv-config.js';

describe('NameServer config', () => {
  it('names the key of a number out of range', () => {
    // Before: 70000 printed fine with -p, and -5 failed in listen() with an error naming no key.
    expect(() => namesrvConfig('listenPort=70000\n')).toThrow(/"listenPort".*at most 65535/);
    expect(() => namesrvConfig('listenPort=-5\n')).toThrow(/"listenPort".*at least 0/);
    expect(() => namesrvConfig('scanNotActiveBrokerInterval=0\n')).toThrow(/"scanNotActiveBrokerInterval"/);
    expect(() => namesrvConfig('brokerChannelExpiredTime=-1\n')).toThrow(/"brokerChannelExpiredTime"/);
    expect(namesrvConfig('listenPort=0\nserverChannelMaxIdleTime=0\n')).toMatchObject({ listenPort: 0, serverChannelMaxIdleTime: 0 });
  });
});
