import type { Logger } from '../net/logger.js';
import { MQAdmin } from '../net/client/index.js';
import type { OptionSpec, ParsedOptions } from './cli-args.js';

/** One mqadmin subcommand (SubCommand.java): its options and what it does. */
export interface CommandContext {
  opts: ParsedOptions;
  namesrvAddr: string;
  out(text: string): void;
  logger: Logger;
  /**
   * How every client of this run connects: the keys it signs with (conf/tools.yml; empty =
   * unsigned) and TLS (env TLS_ENABLE=true, TLS_CONFIG_FILE: RocketMQ's -Dtls.enable and
   * -Dtls.config.file).
   */
  credentials: { accessKey: string; secretKey: string; useTLS?: boolean; tlsConfigFile?: string };
}

export interface SubCommand {
  name: string;
  /** Other names the command answers to (a later RocketMQ's name for it). */
  aliases?: string[];
  desc: string;
  options: OptionSpec[];
  run(ctx: CommandContext): Promise<void>;
}

/** Runs `fn` with a started admin client (its own instance, as each Java tool run has). */
export async function withAdmin<T>(ctx: CommandContext, fn: (admin: MQAdmin) => Promise<T>): Promise<T> {
  const admin = new MQAdmin({ namesrvAddr: ctx.namesrvAddr, instanceName: String(Date.now()), logger: ctx.logger, ...ctx.credentials });
  await admin.start();
  try {
    return await fn(admin);
  } finally {
    await admin.shutdown();
  }
}
