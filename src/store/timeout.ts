/** True once `p` resolves, false if `timeoutMs` passes first. */
export function withTimeout(p: Promise<void>, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<boolean>((resolve) => (timer = setTimeout(resolve, timeoutMs, false)));
  return Promise.race([p.then(() => true), expired]).finally(() => clearTimeout(timer));
}
