import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createServer } from 'node:net';
import { freeBrokerPort } from '../../src/net/free-port.js';

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
 * Ports this process has handed out (a broker's p - 2, p and p + 1 count): the next pick avoids
 * them. A port is only free until someone binds it, and the kernel hands a just-released port
 * out again: a NameServer port picked after a broker's once landed on that broker's VIP port.
 */
const handedOut = new Set<number>();

async function pick(find: () => Promise<number>, spread: (p: number) => number[]): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const p = await find();
    const ports = spread(p);
    if (ports.some((q) => handedOut.has(q))) continue;
    for (const q of ports) handedOut.add(q);
    return p;
  }
  throw new Error('no free port found that this process has not handed out already');
}

/** A free loopback port. */
export function freePort(): Promise<number> {
  return pick(listenOnLoopback, (p) => [p]);
}

/** A port p on loopback with p - 2 (the broker's VIP channel) and p + 1 (HA) free as well. */
export function brokerPort(): Promise<number> {
  return pick(() => freeBrokerPort('127.0.0.1'), (p) => [p - 2, p, p + 1]);
}

function listenOnLoopback(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Header JSON of a whole JSON frame (prefix included). */
export function headerJson(frame: Buffer): Record<string, unknown> {
  const headerLen = frame.readUInt32BE(4) & 0xffffff;
  return JSON.parse(frame.toString('utf8', 8, 8 + headerLen)) as Record<string, unknown>;
}
