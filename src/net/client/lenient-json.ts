import { parseLenientJson } from '../lenient-json.js';
import { MQClientError } from './errors.js';

export { parseLenientJson } from '../lenient-json.js';

/** A response body as JSON (empty = `{}`); BAD_RESPONSE naming the server when it does not parse. */
export function parseBody(body: Buffer | undefined, addr: string): unknown {
  try {
    return parseLenientJson(body?.toString('utf8') || '{}');
  } catch (err) {
    throw new MQClientError('BAD_RESPONSE', `answer from ${addr} does not parse`, { cause: err, addr });
  }
}
