import { describe, expect, it } from 'vitest';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { derInteger, selfSignedCertificate } from '../../src/net/self-signed-cert.js';

const hex = (b: Buffer): string => b.toString('hex');

describe('self-signed certificate', () => {
  it('encodes INTEGERs minimally, as DER and OpenSSL require', () => {
    expect(hex(derInteger(Buffer.from([2])))).toBe('020102');
    expect(hex(derInteger(Buffer.from([0x80])))).toBe('02020080');
    // Leading zeros go: a random serial starting with 0x00 made OpenSSL refuse the certificate.
    expect(hex(derInteger(Buffer.from([0, 0, 0x12, 0x34])))).toBe('02021234');
    expect(hex(derInteger(Buffer.from([0, 0x91])))).toBe('02020091');
    expect(hex(derInteger(Buffer.from([0, 0, 0])))).toBe('020100');
    expect(hex(derInteger(Buffer.alloc(0)))).toBe('020100');
  });

  it('makes certificates OpenSSL loads, whose signature its own key verifies', () => {
    for (let i = 0; i < 64; i++) {
      const { cert, key } = selfSignedCertificate('localhost', Date.UTC(2026, 11, 7));
      const x = new X509Certificate(cert);
      expect(x.subject).toBe('CN=localhost');
      expect(x.issuer).toBe('CN=localhost');
      expect(x.checkPrivateKey(createPrivateKey(key))).toBe(true);
      expect(x.verify(x.publicKey)).toBe(true);
      expect(new Date(x.validTo).getUTCFullYear()).toBe(2036);
    }
  });
});
