import type { Logger } from './logger.js';

/**
 * Process-level wiring shared by the server entry points: SIGTERM/SIGINT run `stop` once and exit
 * 0 (1 if it fails or takes longer than `forceAfterMs`); an uncaught error in one request is
 * logged rather than taking every client's server down.
 */
export function stopOnSignals(stop: () => Promise<void>, logger: Logger, forceAfterMs = 30_000): void {
  let stopping = false;
  const onSignal = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info('%s received, shutting down', signal);
    const force = setTimeout(() => {
      logger.error('shutdown took over %d ms, exiting', forceAfterMs);
      process.exit(1);
    }, forceAfterMs);
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
  process.on('uncaughtException', (err) => logger.error('uncaught exception: %s', err.stack ?? String(err)));
  process.on('unhandledRejection', (err) => logger.error('unhandled rejection: %s', err instanceof Error ? err.stack : String(err)));
}

/**
 * A closed console must not disturb a server: when the reader of its stdout goes away (a log
 * shipper that died, `mqbroker ... | head`), every later log line would raise EPIPE, each one an
 * uncaught error. Console output then just stops, as a Java broker's System.out does; the server
 * says so once on stderr (which is swallowed too if it is closed as well).
 */
export function outliveClosedConsole(logger: Logger): void {
  let told = false;
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (told) return;
    told = true;
    logger.warn('stdout cannot be written (%s): console output stops, the server keeps running', err.code ?? err.message);
  });
  process.stderr.on('error', () => undefined);
}
