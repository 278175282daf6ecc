/**
 * Broker process: `node dist/src/broker.js -c FILE [-n ADDR] [-p | -m]`.
 *   -c FILE  RocketMQ-style .properties (broker and store keys in one file)
 *   -n ADDR  NameServer address(es), `;`-separated; overrides namesrvAddr
 *   -p       print the effective configuration and exit
 *   -m       print its important settings (RocketMQ's @ImportantField ones) and exit
 * Prints RocketMQ's boot line and one machine-readable JSON line
 * (`{"event":"broker-ready",...}`) once it serves. SIGTERM/SIGINT stop it gracefully (exit 0).
 */
import { runBroker } from './net/broker/broker-launch.js';
import { storeThreadsFor } from './workers/store-threads.js';
import { outliveClosedConsole, stopOnSignals } from './net/process-signals.js';
import { allConfigsText, importantConfigsText, loadBrokerConfig } from './net/broker/broker-config.js';
import { exitOnStartFailure, serverLogger } from './net/log-file.js';

const USAGE = 'usage: mqbroker [-c configFile] [-n namesrvAddr] [-p] [-m] [-h]';

interface Args {
  configFile: string | null;
  namesrvAddr?: string;
  print: 'all' | 'important' | null;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { configFile: null, print: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value\n${USAGE}`);
      return v;
    };
    if (a === '-c' || a === '--configFile') args.configFile = value();
    else if (a === '-n' || a === '--namesrvAddr') args.namesrvAddr = value();
    else if (a === '-p' || a === '--printConfigItem') args.print = 'all';
    else if (a === '-m' || a === '--printImportantConfig') args.print ??= 'important';
    else if (a === '-h' || a === '--help') {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    } else throw new Error(`unknown option ${a}\n${USAGE}`);
  }
  return args;
}

const { logger, file: logFile } = serverLogger('broker');

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const settings = loadBrokerConfig(args.configFile, { namesrvAddr: args.namesrvAddr }, (msg) => logger.warn(msg));
  if (args.print) {
    process.stdout.write((args.print === 'all' ? allConfigsText : importantConfigsText)(settings.broker, settings.store));
    return;
  }
  // Handlers first: whoever reads the ready line may signal at once, and a signal with no
  // handler yet would kill the process without a graceful stop.
  outliveClosedConsole(logger);
  const starting = runBroker(settings, logger, { ...storeThreadsFor(settings.store, logger), configFile: args.configFile }, logFile);
  stopOnSignals(async () => (await starting).shutdown(), logger);
  await starting;
}

main().catch((err: unknown) => exitOnStartFailure('mqbroker', 'broker', logFile, err));
