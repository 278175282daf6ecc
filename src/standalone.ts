/**
 * `npm start`: a NameServer (127.0.0.1:9876) and a broker (127.0.0.1:10911, cluster DefaultCluster,
 * broker-a) in one process, with embedded defaults, for trying things out.
 *   node dist/src/standalone.js [-c BROKER_CONF] [--namesrv-port N] [--broker-port N]
 * The store goes under ~/store, or env STORE, or the config file's storePathRootDir. Prints where
 * both listen and one `{"event":"standalone-ready",...}` line. SIGTERM/SIGINT stop both (exit 0).
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { parsePropertiesText } from './store/index.js';
import { brokerSettings } from './net/broker/broker-config.js';
import { runBroker } from './net/broker/broker-launch.js';
import type { BrokerController } from './net/broker/broker-controller.js';
import { storeThreadsFor } from './workers/store-threads.js';
import { outliveClosedConsole, stopOnSignals } from './net/process-signals.js';
import { announce, exitOnStartFailure, serverLogger } from './net/log-file.js';
import { NameServer } from './net/nameserver/nameserver.js';
import { namesrvConfig } from './net/nameserver/namesrv-config.js';

const USAGE = 'usage: npm start -- [-c brokerConfigFile] [--namesrv-port 9876] [--broker-port 10911]';

interface Args {
  configFile: string | null;
  namesrvPort: number;
  brokerPort: number | null;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { configFile: null, namesrvPort: 9876, brokerPort: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value\n${USAGE}`);
      return v;
    };
    const port = (): number => {
      const n = Number(value());
      if (!Number.isInteger(n) || n < 3 || n > 65535) throw new Error(`${a}: not a port\n${USAGE}`);
      return n;
    };
    if (a === '-c' || a === '--configFile') args.configFile = value();
    else if (a === '--namesrv-port') args.namesrvPort = port();
    else if (a === '--broker-port') args.brokerPort = port();
    else if (a === '-h' || a === '--help') {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    } else throw new Error(`unknown option ${a}\n${USAGE}`);
  }
  return args;
}

const { logger: nsLogger, file: nsLog } = serverLogger('namesrv');
const { logger: brokerLogger, file: brokerLog } = serverLogger('broker');

async function main(): Promise<void> {
  const t0 = performance.now();
  const args = parseArgs(process.argv.slice(2));
  const namesrvAddr = `127.0.0.1:${args.namesrvPort}`;
  const embedded: Record<string, string | number | boolean> = {
    brokerClusterName: 'DefaultCluster',
    brokerName: 'broker-a',
    brokerIP1: '127.0.0.1',
    bindAddress: '127.0.0.1',
    listenPort: 10911,
    storePathRootDir: process.env.STORE || join(homedir(), 'store'),
  };
  // Embedded defaults first, then the file (it may move the store or the port), then the flags.
  const fromFile = args.configFile ? Object.fromEntries(parsePropertiesText(readFileSync(args.configFile, 'utf8'))) : {};
  const settings = brokerSettings(
    new Map(),
    { namesrvAddr, values: { ...embedded, ...fromFile, ...(args.brokerPort ? { listenPort: args.brokerPort } : {}) } },
    (m) => brokerLogger.warn(m),
  );

  const ns = new NameServer(namesrvConfig({ listenPort: args.namesrvPort, bindAddress: '127.0.0.1' }, (m) => nsLogger.warn(m)), nsLogger);
  // Handlers before any ready line (see broker.ts); a stop during startup waits for it to finish.
  let starting: Promise<BrokerController> | null = null;
  outliveClosedConsole(nsLogger);
  stopOnSignals(async () => {
    if (starting) await (await starting).shutdown();
    await ns.shutdown();
  }, brokerLogger);
  await ns.start();
  announce(`The Name Server boot success. serializeType=JSON, listening on ${namesrvAddr}`, 'namesrv', nsLog);
  starting = runBroker(settings, brokerLogger, storeThreadsFor(settings.store, brokerLogger), brokerLog);
  const broker = await starting;
  process.stdout.write(
    `${JSON.stringify({
      event: 'standalone-ready',
      namesrvAddr,
      brokerAddr: broker.brokerAddr,
      storePathRootDir: settings.store.storePathRootDir,
      startupMs: Math.round(performance.now() - t0),
    })}\n`,
  );
}

main().catch((err: unknown) => exitOnStartFailure('standalone', 'broker', brokerLog, err));
