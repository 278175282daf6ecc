/**
 * The fields every remoting header carries, whichever serialization is used. `RemotingCommand`
 * implements this; the JSON and ROCKETMQ header codecs read and produce it.
 */
export interface HeaderFields {
  code: number;
  language: string;
  version: number;
  opaque: number;
  flag: number;
  remark?: string;
  extFields: Record<string, string>;
  /**
   * Java writes `"extFields":{}` when a custom header object was attached, even if all its fields
   * were null, and omits the key otherwise; we keep the distinction so replies match byte for byte.
   */
  hasCustomHeader: boolean;
}

export type ExtFieldsInput = Record<string, string | number | boolean | bigint | undefined | null>;

/** Java's `String.valueOf` for the scalar types custom headers use; null/undefined are skipped. */
export function normalizeExtFields(input: ExtFieldsInput | undefined, into: Record<string, string> = {}): Record<string, string> {
  if (input === undefined) return into;
  for (const key in input) {
    const v = input[key];
    if (v === undefined || v === null) continue;
    into[key] = typeof v === 'string' ? v : String(v);
  }
  return into;
}

export function hasOwnKeys(obj: object): boolean {
  for (const _ in obj) return true;
  return false;
}
