import type { Logger } from '../logger.js';
import type { BrokerSettings } from './broker-config.js';
import { BrokerController } from './broker-controller.js';

/**
 * Process-level pieces shared by the broker entry (src/broker.ts) and the standalone entry
 * (src/standalone.ts): start-and-announce, and signal handling.
 */

/** Starts a broker and prints RocketMQ's boot line plus one `{"event":"broker-ready",...}` JSON line. */
export async function runBroker(settings: BrokerSettings, logger: Logger): Promise<BrokerController> {
  const controller = new BrokerController(settings, { logger });
  await controller.start();
  const { broker } = settings;
  const ns = broker.namesrvAddr || '(none)';
  process.stdout.write(`The broker[${broker.brokerName}, ${controller.brokerAddr}] boot success. serializeType=JSON and name server is ${ns}\n`);
  process.stdout.write(
    `${JSON.stringify({
      event: 'broker-ready',
      brokerName: broker.brokerName,
      brokerAddr: controller.brokerAddr,
      listenPort: controller.port,
      vipPort: controller.vipPort,
      storePathRootDir: settings.store.storePathRootDir,
      namesrvAddr: broker.namesrvAddr,
    })}\n`,
  );
  return controller;
}

/** Graceful stop on the first SIGTERM/SIGINT; a second signal, or a stop taking over 30 s, forces exit 1. */
export function stopOnSignals(logger: Logger, stop: () => Promise<void>): void {
  let stopping = false;
  const onSignal = (signal: string): void => {
    if (stopping) {
      logger.warn('%s received again, exiting now', signal);
      process.exit(1);
    }
    stopping = true;
    logger.info('%s received, shutting down', signal);
    const force = setTimeout(() => {
      logger.error('shutdown took over 30 s, exiting');
      process.exit(1);
    }, 30_000);
    force.unref();
    stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error('shutdown failed: %s', err instanceof Error ? err.stack : String(err));
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));
  // A bug in one request must not take the broker (and every client) down: log and keep serving.
  process.on('uncaughtException', (err) => logger.error('uncaught exception: %s', err.stack ?? String(err)));
  process.on('unhandledRejection', (err) => logger.error('unhandled rejection: %s', err instanceof Error ? err.stack : String(err)));
}

