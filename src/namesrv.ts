/**
 * NameServer process: `node dist/src/namesrv.js [-c FILE] [-p]`.
 *   -c FILE  RocketMQ-style .properties (listenPort, bindAddress, kvConfigPath, ...)
 *   -n ADDR  accepted and ignored, as by RocketMQ's mqnamesrv (tutorials pass it)
 *   -p       print the effective configuration and exit
 * SIGTERM/SIGINT stop it gracefully (exit 0).
 */
import { NameServer } from './net/nameserver/nameserver.js';
import { loadNamesrvConfig, namesrvConfig, type NamesrvConfig } from './net/nameserver/namesrv-config.js';
import { announce, exitOnStartFailure, serverLogger } from './net/log-file.js';
import { outliveClosedConsole, stopOnSignals } from './net/process-signals.js';

const USAGE = 'usage: mqnamesrv [-c configFile] [-n namesrvAddr] [-p] [-h]';

interface Args {
  configFile?: string;
  printConfig: boolean;
  /** Given with -n, which RocketMQ's mqnamesrv accepts (its option set is the broker's) and ignores. */
  namesrvAddr?: string;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { printConfig: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-c' || a === '--configFile') {
      const file = argv[++i];
      if (file === undefined) throw new Error(`-c needs a file\n${USAGE}`);
      args.configFile = file;
    } else if (a === '-n' || a === '--namesrvAddr') {
      const addr = argv[++i];
      if (addr === undefined) throw new Error(`-n needs a value\n${USAGE}`);
      args.namesrvAddr = addr;
    } else if (a === '-p' || a === '--printConfigItem') {
      args.printConfig = true;
    } else if (a === '-h' || a === '--help') {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    } else {
      throw new Error(`unknown option ${a}\n${USAGE}`);
    }
  }
  return args;
}

const { logger, file: logFile } = serverLogger('namesrv');

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const warn = (msg: string): void => logger.warn(msg);
  if (args.namesrvAddr !== undefined) logger.info(`-n ${args.namesrvAddr} ignored: a NameServer needs no NameServer address (RocketMQ's mqnamesrv ignores it too)`);
  const cfg: NamesrvConfig = args.configFile === undefined ? namesrvConfig({}, warn) : loadNamesrvConfig(args.configFile, warn);
  if (args.printConfig) {
    for (const [k, v] of Object.entries(cfg)) process.stdout.write(`${k}=${String(v)}\n`);
    return;
  }
  const ns = new NameServer(cfg, logger, args.configFile ?? null);
  // Before the boot line: whoever reads it may signal at once (see broker.ts).
  outliveClosedConsole(logger);
  stopOnSignals(() => ns.shutdown(), logger);
  const port = await ns.start();
  announce(`The Name Server boot success. serializeType=JSON, listening on ${cfg.bindAddress || '0.0.0.0'}:${port}`, 'namesrv', logFile);
}

main().catch((err: unknown) => exitOnStartFailure('mqnamesrv', 'namesrv', logFile, err));
