import { deflateSync, inflateSync } from 'node:zlib';
import { compressFrameSync, decompressFrameSync } from 'lz4-napi';
import { SYSFLAG_COMPRESSED } from '../../store/index.js';

/**
 * Message body compression and its sysFlag bits. RocketMQ 4.x knows one kind, zlib, marked by
 * COMPRESSED_FLAG alone; RocketMQ 5.x producers may choose LZ4 or ZSTD, marked in bits 8-10
 * (LZ4 as an LZ4 frame, as Java's LZ4FrameOutputStream writes). Producers here write zlib the
 * 4.x way unless told `compressType=LZ4` (which only 5.x consumers and this client read).
 */
export type CompressType = 'ZLIB' | 'LZ4';

/** MessageSysFlag.COMPRESSION_TYPE_COMPARATOR and the types in it. */
export const COMPRESSION_TYPE_MASK = 0x700;
export const COMPRESSION_LZ4 = 0x100;
export const COMPRESSION_ZSTD = 0x200;
export const COMPRESSION_ZLIB = 0x300;

/** The compressed body and the sysFlag bits that say how. */
export function compressBody(body: Buffer, type: CompressType, level: number): { body: Buffer; sysFlag: number } {
  if (type === 'LZ4') return { body: compressFrameSync(body), sysFlag: SYSFLAG_COMPRESSED | COMPRESSION_LZ4 };
  return { body: deflateSync(body, { level }), sysFlag: SYSFLAG_COMPRESSED };
}

/**
 * The body a consumer sees, or null for a kind this client cannot read (ZSTD: Node 20 has no
 * zstd), which is then handed over compressed with its flags intact. Throws on a corrupt body.
 */
export function decompressBody(body: Buffer, sysFlag: number): Buffer | null {
  const type = sysFlag & COMPRESSION_TYPE_MASK;
  if (type === 0 || type === COMPRESSION_ZLIB) return inflateSync(body);
  if (type === COMPRESSION_LZ4) return decompressFrameSync(body);
  return null;
}
