import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { TLSSocket, createSecureContext, type ConnectionOptions, type SecureContext } from 'node:tls';
import { parsePropertiesText } from '../store/index.js';
import { RemotingError } from './remoting-error.js';
import { selfSignedCertificate } from './self-signed-cert.js';

/**
 * TLS for the remoting protocol, configured as RocketMQ's TlsSystemConfig is: a `tls.properties`
 * file (RocketMQ's `tls.config.file`; `tlsConfigFile` here) with its key names.
 *
 * Servers (`tls.server.*`): `tls.server.mode` permissive (TLS and plain clients both; RocketMQ's
 * default), enforcing (TLS only) or disabled; `tls.server.certPath`, `tls.server.keyPath`
 * (PEM), `tls.server.keyPassword`, or in test mode without them a self-signed certificate; `tls.server.need.client.auth` none, optional or require, with
 * `tls.server.trustCertPath` the CA clients' certificates must chain to.
 *
 * Clients (`useTLS`, and from the file `tls.client.*`): `tls.test.mode.enable` (true, RocketMQ's
 * default: the server's certificate is not checked) else `tls.client.trustCertPath` (or the
 * system CAs) must vouch for it; `tls.client.certPath`/`keyPath`/`keyPassword` for client auth.
 */

export interface TlsServer {
  mode: 'permissive' | 'enforcing';
  context: SecureContext;
  requestCert: boolean;
  rejectUnauthorized: boolean;
}

function readProps(file: string): Map<string, string> {
  if (file === '') return new Map();
  try {
    return parsePropertiesText(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new RemotingError('BAD_TLS_CONFIG', `cannot read TLS config ${file}: ${(e as Error).message}`, { cause: e });
  }
}

function readPem(file: string, key: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new RemotingError('BAD_TLS_CONFIG', `${key} of ${file}: cannot read ${path}: ${(e as Error).message}`, { cause: e });
  }
}

function oneOf<T extends string>(props: Map<string, string>, file: string, key: string, choices: readonly T[], dflt: T): T {
  const v = (props.get(key) ?? dflt).trim();
  if (!(choices as readonly string[]).includes(v)) throw new RemotingError('BAD_TLS_CONFIG', `${key} of ${file}: "${v}" is none of ${choices.join(', ')}`);
  return v as T;
}

/** `tls.test.mode.enable`, true unless set to false (RocketMQ's default). */
function isTestMode(props: Map<string, string>): boolean {
  return (props.get('tls.test.mode.enable') ?? 'true').trim() !== 'false';
}

function modeOf(props: Map<string, string>, file: string): 'disabled' | 'permissive' | 'enforcing' {
  return oneOf(props, file, 'tls.server.mode', ['disabled', 'permissive', 'enforcing'] as const, 'permissive');
}

/** `tls.server.mode` of a tls.properties file (`''`: RocketMQ's default, permissive), without loading keys. */
export function tlsServerMode(file: string): 'disabled' | 'permissive' | 'enforcing' {
  return modeOf(readProps(file), file);
}

/**
 * A server's TLS settings from a tls.properties file, or null when its mode is disabled. No file
 * (`''`) means RocketMQ's defaults, as a RocketMQ server without tls.config.file has them:
 * permissive, test mode, a self-signed certificate. So a client with TLS on (Java's
 * `-Dtls.enable=true`) reaches a server nobody configured for TLS, and plain clients too.
 */
export function loadTlsServer(file: string): TlsServer | null {
  const props = readProps(file);
  const mode = modeOf(props, file);
  if (mode === 'disabled') return null;
  const pem = (key: string): Buffer => {
    const path = props.get(key);
    if (!path) {
      const why = isTestMode(props) ? 'once the other of tls.server.certPath and keyPath is set' : 'and tls.test.mode.enable=false';
      throw new RemotingError('BAD_TLS_CONFIG', `${file}: ${key} is required with tls.server.mode=${mode} ${why}`);
    }
    return readPem(file, key, path);
  };
  const auth = oneOf(props, file, 'tls.server.need.client.auth', ['none', 'optional', 'require'] as const, 'none');
  // Test mode (RocketMQ's default) with no certificate configured: one made on the spot, as
  // RocketMQ's servers do. Unlike RocketMQ, a configured certificate is used even in test mode.
  const own = !props.get('tls.server.certPath') && !props.get('tls.server.keyPath') && isTestMode(props) ? selfSignedCertificate() : null;
  let context: SecureContext;
  try {
    context = createSecureContext({
      cert: own?.cert ?? pem('tls.server.certPath'),
      key: own?.key ?? pem('tls.server.keyPath'),
      passphrase: own ? undefined : props.get('tls.server.keyPassword') || undefined,
      ca: auth !== 'none' ? pem('tls.server.trustCertPath') : undefined,
    });
  } catch (e) {
    if (e instanceof RemotingError) throw e;
    throw new RemotingError('BAD_TLS_CONFIG', `${file}: the certificate or key does not load: ${(e as Error).message}`, { cause: e });
  }
  return { mode, context, requestCert: auth !== 'none', rejectUnauthorized: auth === 'require' };
}

/** Options for tls.connect when a client uses TLS (`useTLS`), from its tls.properties if any. */
export function tlsClientOptions(file: string): ConnectionOptions {
  const props = file ? readProps(file) : new Map<string, string>();
  const testMode = isTestMode(props);
  const path = (key: string): Buffer | undefined => (props.get(key) ? readPem(file, key, props.get(key)!) : undefined);
  return {
    rejectUnauthorized: !testMode,
    ca: path('tls.client.trustCertPath'),
    cert: path('tls.client.certPath'),
    key: path('tls.client.keyPath'),
    passphrase: props.get('tls.client.keyPassword') || undefined,
  };
}

/** A TLS handshake starts with a handshake record (content type 22). */
const TLS_HANDSHAKE = 0x16;

/**
 * Hands `use` the stream to speak remoting over: TLS for a client that opens with a handshake
 * (always, when enforcing), the socket itself for a plain one. The first bytes are read to tell
 * (remoting clients speak first), then given back to whichever stream reads on.
 */
export function acceptTls(raw: Socket, t: TlsServer, idleMs: number, use: (s: Socket, peer: Socket) => void, onError: (err: Error) => void): void {
  const serve = (stream: Duplex | Socket) => new TLSSocket(stream as Socket, { isServer: true, secureContext: t.context, requestCert: t.requestCert, rejectUnauthorized: t.rejectUnauthorized });
  raw.setNoDelay(true);
  if (t.mode === 'enforcing') return use(serve(raw), raw);
  const failed = (err: Error): void => {
    raw.destroy();
    onError(err);
  };
  raw.once('error', failed);
  // A client that connects and says nothing is dropped when the server's idle timeout says so:
  // RocketMQ's idle handler sits before its TLS handler and counts these bytes too. 0: never.
  if (idleMs > 0) raw.setTimeout(idleMs, () => failed(new Error(`nothing received in ${idleMs} ms`)));
  raw.once('data', (first: Buffer) => {
    raw.pause();
    raw.setTimeout(0);
    raw.off('error', failed);
    raw.unshift(first);
    // A socket whose bytes were read once is wrapped through a stream, which reads them again.
    use(first[0] === TLS_HANDSHAKE ? serve(Duplex.from({ readable: raw, writable: raw })) : raw, raw);
    raw.resume();
  });
}
