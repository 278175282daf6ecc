import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';

/**
 * A self-signed X.509 certificate made on the spot, for a TLS server in RocketMQ's test mode that
 * has no certificate of its own (RocketMQ's servers take Netty's SelfSignedCertificate then).
 * Clients in test mode do not check it; it only lets the handshake happen. Node can sign but not
 * build certificates, so the DER is written here (RFC 5280, the fields a v3 certificate needs):
 *
 *   Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue BIT STRING }
 *   TBSCertificate ::= SEQUENCE { [0] version v3, serialNumber, signature, issuer, validity,
 *                                 subject, subjectPublicKeyInfo }
 *
 * The key is ECDSA P-256 and the signature ecdsa-with-SHA256; subject and issuer are CN=localhost.
 */
export interface SelfSignedCertificate {
  /** PEM of the certificate and of its PKCS#8 private key. */
  cert: string;
  key: string;
}

const SEQUENCE = 0x30;
const SET = 0x31;
const INTEGER = 0x02;
const BIT_STRING = 0x03;
const OBJECT_IDENTIFIER = 0x06;
const UTF8_STRING = 0x0c;
const UTC_TIME = 0x17;
const CONTEXT_0 = 0xa0;
const ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2';
const COMMON_NAME = '2.5.4.3';
const DAY_MS = 86_400_000;

export function selfSignedCertificate(commonName = 'localhost', now = Date.now()): SelfSignedCertificate {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const algorithm = tlv(SEQUENCE, oid(ECDSA_WITH_SHA256));
  const name = tlv(SEQUENCE, tlv(SET, tlv(SEQUENCE, oid(COMMON_NAME), tlv(UTF8_STRING, Buffer.from(commonName, 'utf8')))));
  // Valid from a day ago (clocks differ) for ten years: a server restarted makes a new one.
  const validity = tlv(SEQUENCE, utcTime(new Date(now - DAY_MS)), utcTime(new Date(now + 3650 * DAY_MS)));
  const tbs = tlv(
    SEQUENCE,
    tlv(CONTEXT_0, derInteger(Buffer.from([2]))),
    derInteger(randomBytes(16)),
    algorithm,
    name,
    validity,
    name,
    publicKey.export({ type: 'spki', format: 'der' }),
  );
  const signature = sign('sha256', tbs, privateKey);
  const der = tlv(SEQUENCE, tbs, algorithm, tlv(BIT_STRING, Buffer.from([0]), signature));
  return { cert: pem('CERTIFICATE', der), key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
}

/** A DER type-length-value: short lengths in one byte, longer ones as 0x80 | n then n bytes. */
function tlv(tag: number, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  const len = body.length;
  let head: Buffer;
  if (len < 0x80) head = Buffer.from([tag, len]);
  else {
    const bytes: number[] = [];
    for (let n = len; n > 0; n = Math.floor(n / 256)) bytes.unshift(n % 256);
    head = Buffer.from([tag, 0x80 | bytes.length, ...bytes]);
  }
  return Buffer.concat([head, body]);
}

/**
 * A non-negative INTEGER from big-endian bytes, in DER's one encoding: leading zero bytes dropped
 * (OpenSSL refuses them as "illegal padding": a random serial starting with 0x00 did, one
 * certificate in 512), then one zero put back if the top bit is set, which would mean negative.
 */
export function derInteger(bytes: Buffer): Buffer {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  const v = bytes.subarray(i);
  return tlv(INTEGER, v.length === 0 || v[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), v]) : v);
}

function oid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split('.').map(Number);
  const out = [a! * 40 + b!];
  for (const n of rest) {
    const groups = [n & 0x7f];
    for (let v = Math.floor(n / 128); v > 0; v = Math.floor(v / 128)) groups.unshift((v & 0x7f) | 0x80);
    out.push(...groups);
  }
  return tlv(OBJECT_IDENTIFIER, Buffer.from(out));
}

/** UTCTime YYMMDDHHMMSSZ (RFC 5280 wants it for years before 2050). */
function utcTime(d: Date): Buffer {
  const two = (n: number) => String(n).padStart(2, '0');
  const s = `${two(d.getUTCFullYear() % 100)}${two(d.getUTCMonth() + 1)}${two(d.getUTCDate())}${two(d.getUTCHours())}${two(d.getUTCMinutes())}${two(d.getUTCSeconds())}Z`;
  return tlv(UTC_TIME, Buffer.from(s, 'latin1'));
}

function pem(label: string, der: Buffer): string {
  const b64 = der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}
