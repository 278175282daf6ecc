import { networkInterfaces } from 'node:os';

/**
 * RocketMQ's RemotingUtil.getLocalAddress picks the first non-loopback, non-private-link IPv4
 * address; brokers advertise it to NameServers unless brokerIP1 is configured.
 */
export function firstNonLoopbackIPv4(): string | null {
  const ifaces = networkInterfaces();
  for (const name of Object.keys(ifaces).sort()) {
    for (const a of ifaces[name] ?? []) {
      if (a.family === 'IPv4' && !a.internal && !a.address.startsWith('169.254.')) return a.address;
    }
  }
  return null;
}
