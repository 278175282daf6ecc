/**
 * The steps of a shutdown, run in order. One that fails (a full disk fails every write, no
 * descriptors are left) is logged and remembered, and the next still runs: files must be closed
 * and locks released whatever happened before. The caller decides what the failures mean.
 */
export class ShutdownSteps {
  readonly failed: unknown[] = [];

  constructor(private readonly logError: (message: string) => void) {}

  async run(what: string, fn: () => unknown): Promise<void> {
    try {
      await fn();
    } catch (e) {
      this.failed.push(e);
      this.logError(`${what} failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}
