import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

function listenOnce(port: number, host: string | undefined): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(port, host, () => {
      const a = srv.address();
      const p = typeof a === 'object' && a !== null ? a.port : 0;
      srv.close(() => resolve(p));
    });
  });
}

/**
 * A port p where p, p - 2 (RocketMQ's VIP channel) and p + 1 (HA) are all free now, for a broker
 * configured with listenPort=0: its address is written into every stored record and message id,
 * so it must be known before the store opens, not after the server binds. Another process may
 * still take one of them before we bind; the caller binds at once.
 *
 * By default the kernel proposes p (from its ephemeral range, the convention for "any free
 * port"). `range` draws p at random from [from, to) instead: for launchers that start brokers in
 * other processes, where the wait before the bind is long, a range below the ephemeral one is not
 * handed to outgoing connections meanwhile. `skip` rejects candidates (ports already promised).
 */
export async function freeBrokerPort(host?: string, opts: { range?: readonly [number, number]; skip?: (p: number) => boolean } = {}): Promise<number> {
  const { range, skip } = opts;
  for (let attempt = 0; attempt < (range ? 200 : 50); attempt++) {
    const p = range ? range[0] + Math.floor(Math.random() * (range[1] - range[0])) : await listenOnce(0, host);
    if (p < 1030 || p > 65000 || skip?.(p)) continue;
    try {
      if (range) await listenOnce(p, host);
      await listenOnce(p - 2, host);
      await listenOnce(p + 1, host);
      return p;
    } catch {
      // taken: try another
    }
  }
  throw new Error('no free port with listenPort - 2 and listenPort + 1 also free');
}

/** Ports below the kernel's ephemeral range (ip_local_port_range), from 12000: see freeBrokerPort. */
export function belowEphemeralPorts(): [number, number] {
  let low = 32768;
  try {
    low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || low;
  } catch {
    // not Linux: the usual default
  }
  return [12_000, Math.max(13_000, low - 2)];
}
