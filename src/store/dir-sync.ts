import { open } from 'node:fs/promises';

/**
 * fsyncs of directories (a new file's name made durable), a few at a time. libuv's pool runs four
 * jobs at once anyway, and each sync holds a descriptor from its open to its close: creating
 * 7,500 consume queues in a burst had thousands of directory descriptors open, waiting for the
 * pool, which halved the queues the open files limit left room for.
 */
const MAX_IN_FLIGHT = 4;
let inFlight = 0;
const waiting: (() => void)[] = [];

export async function syncDir(dir: string): Promise<void> {
  if (inFlight < MAX_IN_FLIGHT) inFlight++;
  else await new Promise<void>((resolve) => waiting.push(resolve)); // handed a slot by a finishing sync
  try {
    const h = await open(dir, 'r');
    try {
      await h.sync();
    } finally {
      await h.close();
    }
  } finally {
    const next = waiting.shift();
    if (next) next();
    else inFlight--;
  }
}
