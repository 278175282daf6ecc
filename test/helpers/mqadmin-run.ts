import { main } from '../../src/tools/mqadmin.js';

export interface MqadminRun {
  code: number;
  out: string;
  err: string;
}

/** Runs mqadmin in-process through main() (bin/mqadmin's code path, without a node start per command). */
export async function runMqadmin(namesrvAddr: string, args: string[]): Promise<MqadminRun> {
  let out = '';
  let err = '';
  const code = await main([...args, '-n', namesrvAddr], (s) => (out += s), (s) => (err += s));
  return { code, out, err };
}
