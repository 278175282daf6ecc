import { StoreError } from '../../../store/index.js';
import { ResponseCode } from '../../codes.js';
import type { Connection, RequestHandler } from '../../connection.js';
import type { Logger } from '../../logger.js';
import { RemotingCommand } from '../../remoting-command.js';
import { BrokerError } from '../broker-error.js';

/** A processor family's handlers by request code. */
export type ProcessorTable = ReadonlyArray<readonly [code: number, handler: RequestHandler]>;

type Handler = (req: RemotingCommand, conn: Connection) => Promise<RemotingCommand | null | void> | RemotingCommand | null | void;

/**
 * Wraps a handler so refusals become proper responses: a BrokerError or StoreError answers with its
 * response code and message as remark (as RocketMQ's processors set code and remark); anything else
 * is logged with its stack and answered SYSTEM_ERROR, never crashing the broker.
 */
export function guarded(logger: Logger, name: string, handler: Handler): RequestHandler {
  const fail = (req: RemotingCommand, e: unknown): RemotingCommand => {
    if (e instanceof BrokerError || e instanceof StoreError) {
      return RemotingCommand.createResponse(req, e.responseCode, e.message);
    }
    logger.error(`${name} failed: ${(e as Error)?.stack ?? String(e)}`);
    return RemotingCommand.createResponse(req, ResponseCode.SYSTEM_ERROR, `${name} failed: ${(e as Error)?.message ?? String(e)}`);
  };
  return (req, conn) => {
    try {
      const r = handler(req, conn);
      return r instanceof Promise ? r.catch((e: unknown) => fail(req, e)) : r;
    } catch (e) {
      return fail(req, e);
    }
  };
}

export function success(req: RemotingCommand, extFields?: Record<string, string | number | boolean | undefined | null>, body?: Buffer): RemotingCommand {
  return RemotingCommand.createResponse(req, ResponseCode.SUCCESS, undefined, extFields, body);
}

export function jsonBody(text: string): Buffer {
  return Buffer.from(text, 'utf8');
}

/** A MessageQueue as the key of a fastjson map, which writes the object itself as the key. */
export function mqKey(brokerName: string, topic: string, queueId: number): string {
  return JSON.stringify({ brokerName, queueId, topic });
}

/** `{{"brokerName":…}:value,…}`: fastjson's form of a map keyed by MessageQueue objects. */
export function objectKeyedMap(entries: [string, unknown][]): string {
  return `{${entries.map(([k, v]) => `${k}:${JSON.stringify(v)}`).join(',')}}`;
}
