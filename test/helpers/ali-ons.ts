import { createRequire } from 'node:module';

/**
 * Errors ali-ons emitted on clients it had already closed (see `requireAliOns`).
 */
export const closedClientErrors: Error[] = [];

let guarded = false;

/**
 * ali-ons (a pure-JS RocketMQ 4.x client written by others), loaded with one fault of its own made harmless.
 *
 * Its objects are sdk-base emitters, and closing one removes all its listeners; but a task that was
 * running when its client closed can still open a connection, and when the test has already stopped
 * that server the refusal is emitted as 'error' on the listenerless client: an uncaught exception in
 * the test worker (seen once in CI). Such an error belongs to a closed client, so it is kept in
 * `closedClientErrors` instead of thrown.
 */
export function requireAliOns<T>(): T {
  const requireOns = createRequire(createRequire(import.meta.url).resolve('ali-ons'));
  if (!guarded) {
    guarded = true;
    const SdkBase = requireOns('sdk-base') as { prototype: NodeJS.EventEmitter };
    const emit = SdkBase.prototype.emit;
    SdkBase.prototype.emit = function (this: NodeJS.EventEmitter, event: string | symbol, ...args: unknown[]): boolean {
      if (event === 'error' && this.listenerCount('error') === 0) {
        closedClientErrors.push(args[0] as Error);
        return false;
      }
      return emit.call(this, event, ...args);
    };
  }
  return requireOns('ali-ons') as T;
}
