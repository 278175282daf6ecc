import { createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import type { RemotingCommand } from './remoting-command.js';

/**
 * RocketMQ's ACL request signature (AclClientRPCHook on clients, PlainAccessResource on brokers):
 * HmacSHA1 with the secret key over the values of the request's ext fields in key order (Java
 * TreeMap: UTF-16 code unit order, which is also JavaScript's default sort), then the body,
 * Base64 with padding. Both sides compute it from the ext fields as sent, so a field one side adds
 * outside the signed set (Java's unique-key query flag) is left out by both.
 */

/** Ext field names of RocketMQ's SessionCredentials. */
export const ACCESS_KEY = 'AccessKey';
export const SIGNATURE = 'Signature';
export const SECURITY_TOKEN = 'SecurityToken';
/** MixAll.UNIQUE_MSG_QUERY_FLAG: added by Java's client after signing, so never part of the content. */
export const UNIQUE_MSG_QUERY_FLAG = '_UNIQUE_KEY_QUERY';

/** A client's ACL identity (RocketMQ SessionCredentials). */
export interface SessionCredentials {
  accessKey: string;
  secretKey: string;
  /** Sent as SecurityToken and signed when present (STS-style tokens). */
  securityToken?: string;
}

/**
 * The bytes a signature covers: ext field values in key order (minus the Signature and, unless
 * `withUniqueFlag`, the unique-key query flag), then the body.
 */
export function signedContent(extFields: Record<string, string>, body: Buffer | undefined, withUniqueFlag = false): Buffer {
  let text = '';
  for (const key of Object.keys(extFields).sort()) {
    if (key === SIGNATURE || (key === UNIQUE_MSG_QUERY_FLAG && !withUniqueFlag)) continue;
    text += extFields[key];
  }
  const head = Buffer.from(text, 'utf8');
  return body === undefined || body.length === 0 ? head : Buffer.concat([head, body]);
}

/** AclSigner.calSignature: Base64(HmacSHA1(secretKey, content)). */
export function calSignature(content: Buffer, secretKey: string | KeyObject): string {
  return createHmac('sha1', typeof secretKey === 'string' ? Buffer.from(secretKey, 'utf8') : secretKey).update(content).digest('base64');
}

/** A secret key made once for many signatures (saves re-deriving it per request). */
export function signingKey(secretKey: string): KeyObject {
  return createSecretKey(Buffer.from(secretKey, 'utf8'));
}

/**
 * The signature of a request as sent: signedContent's bytes fed to the HMAC piece by piece, so
 * neither the text nor the body is copied (it runs for every request of a signing client and
 * every request an ACL broker checks).
 */
export function requestSignature(extFields: Record<string, string>, body: Buffer | undefined, key: KeyObject, withUniqueFlag = false): string {
  let text = '';
  for (const k of Object.keys(extFields).sort()) {
    if (k === SIGNATURE || (k === UNIQUE_MSG_QUERY_FLAG && !withUniqueFlag)) continue;
    text += extFields[k];
  }
  const hmac = createHmac('sha1', key).update(text, 'utf8');
  if (body !== undefined && body.length > 0) hmac.update(body);
  return hmac.digest('base64');
}

/** Adds AccessKey (and SecurityToken) and the Signature over the request as it will be sent. */
export function signRequest(cmd: RemotingCommand, creds: SessionCredentials, key: KeyObject = signingKey(creds.secretKey)): void {
  cmd.extFields[ACCESS_KEY] = creds.accessKey;
  if (creds.securityToken) cmd.extFields[SECURITY_TOKEN] = creds.securityToken;
  // A retried request's old Signature is left out of the content anyway; no `delete` (which
  // would turn the ext fields into a slow dictionary object).
  cmd.extFields[SIGNATURE] = requestSignature(cmd.extFields, cmd.body, key);
}

/** A RemotingClient `beforeRequest` hook signing with `creds`, or undefined without an access key. */
export function requestSigner(creds: SessionCredentials): ((addr: string, cmd: RemotingCommand) => void) | undefined {
  if (!creds.accessKey) return undefined;
  const fixed: SessionCredentials = { accessKey: creds.accessKey, secretKey: creds.secretKey, securityToken: creds.securityToken || undefined };
  const key = signingKey(creds.secretKey);
  return (_addr, cmd) => signRequest(cmd, fixed, key);
}
