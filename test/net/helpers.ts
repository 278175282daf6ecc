import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createServer } from 'node:net';
import { belowEphemeralPorts, freeBrokerPort } from '../../src/net/free-port.js';

/** Repository root, from either test/net (source) or dist/test/net (compiled). */
const here = fileURLToPath(new URL('.', import.meta.url));
export const repoRoot = here.includes('/dist/test/') ? here.slice(0, here.indexOf('/dist/test/')) : fileURLToPath(new URL('../..', import.meta.url));

export function fixturePath(...parts: string[]): string {
  return [repoRoot, 'test', 'fixtures', ...parts].join('/');
}

export interface FrameInfo {
  file: string;
  phase: string;
  connection: number;
  server: 'namesrv' | 'broker';
  direction: string;
  kind: 'request' | 'response';
  oneway: boolean;
  code: number;
  opaque: number;
  flag: number;
  serializeType: number;
  headerLength: number;
  bodyLength: number;
  frameLength: number;
  header: Record<string, unknown>;
  requestCode?: number;
  requestFile?: string;
}

export interface Frame extends FrameInfo {
  /** Whole frame including the length prefix. */
  bytes: Buffer;
}

export function loadFrames(): Frame[] {
  const dir = fixturePath('rocketmq-4.9-frames');
  const index = JSON.parse(readFileSync(`${dir}/index.json`, 'utf8')) as { frames: FrameInfo[] };
  return index.frames.map((f) => ({ ...f, bytes: readFileSync(`${dir}/${f.file}`) }));
}

/** Polls `cond` every few ms until it is truthy or `timeoutMs` passes. */
export async function waitFor<T>(cond: () => T | Promise<T>, timeoutMs = 5000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await cond();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/**
 * Ports for servers that tests start, often in another process: checked free, then bound later.
 * They come from below the kernel's ephemeral range, which every outgoing connection and every
 * bind to port 0 of the parallel test files draws from (twice a broker's VIP port was taken
 * between the check and the bind). Ports this process handed out (a broker's p - 2, p and p + 1)
 * are not handed out again: a NameServer port picked next once landed on a broker's VIP port.
 */
const handedOut = new Set<number>();
const RANGE = belowEphemeralPorts();

function promise(p: number, spread: number[]): number {
  for (const q of spread) handedOut.add(q);
  return p;
}

/** A free loopback port. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const p = RANGE[0] + Math.floor(Math.random() * (RANGE[1] - RANGE[0]));
    if (handedOut.has(p)) continue;
    const free = await new Promise<boolean>((resolve) => {
      const srv = createServer();
      srv.once('error', () => resolve(false));
      srv.listen(p, '127.0.0.1', () => srv.close(() => resolve(true)));
    });
    if (free) return promise(p, [p]);
  }
  throw new Error('no free port found');
}

/** A port p on loopback with p - 2 (the broker's VIP channel) and p + 1 (HA) free as well. */
export async function brokerPort(): Promise<number> {
  const p = await freeBrokerPort('127.0.0.1', { range: RANGE, skip: (q) => [q - 2, q, q + 1].some((x) => handedOut.has(x)) });
  return promise(p, [p - 2, p, p + 1]);
}

/** Header JSON of a whole JSON frame (prefix included). */
export function headerJson(frame: Buffer): Record<string, unknown> {
  const headerLen = frame.readUInt32BE(4) & 0xffffff;
  return JSON.parse(frame.toString('utf8', 8, 8 + headerLen)) as Record<string, unknown>;
}
