/**
 * Waits that a shutdown can end at once. A plain timer would keep the process alive after a
 * consumer stopped, for up to pullInterval or pullTimeDelayMillsWhenException; it must not be
 * unref'd either, or a consumer whose broker is down would let its process exit while it waits
 * to retry.
 */
export class Pauses {
  private readonly wakes = new Set<() => void>();

  pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(t);
        this.wakes.delete(wake);
        resolve();
      };
      const t = setTimeout(wake, ms);
      this.wakes.add(wake);
    });
  }

  /** Ends every pause now. */
  wakeAll(): void {
    for (const wake of [...this.wakes]) wake();
  }
}
