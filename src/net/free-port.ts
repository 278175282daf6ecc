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
 */
export async function freeBrokerPort(host?: string): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const p = await listenOnce(0, host);
    if (p < 1030 || p > 65000) continue;
    try {
      await listenOnce(p - 2, host);
      await listenOnce(p + 1, host);
      return p;
    } catch {
      // taken: try another
    }
  }
  throw new Error('no free port with listenPort - 2 and listenPort + 1 also free');
}
