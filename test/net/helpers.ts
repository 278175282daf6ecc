import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createServer } from 'node:net';

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

export function freePort(): Promise<number> {
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
