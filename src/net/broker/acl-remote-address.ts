import { isIP, isIPv4, isIPv6 } from 'node:net';
import { AclError } from './acl-permission.js';

/**
 * RocketMQ 4.9's white remote address patterns (RemoteAddressStrategyFactory), tried in this order:
 * blank (matches nothing), `*` (everything), `prefix.{a,b}` (a set), `a,b,c` (exact addresses),
 * `*` or `a-b` ranges (`192.168.0.*`, `192.168.1.1-100`, `10.*.*.*`, and their IPv6 forms in the
 * last group), else one exact address. A bad pattern fails the ACL load with RocketMQ's message.
 */
export type AddressMatcher = (ip: string) => boolean;

const NEVER: AddressMatcher = () => false;
const ALWAYS: AddressMatcher = () => true;
const BAD_BRACES = 'MultipleRemoteAddressStrategy netaddress examine scope Exception netaddress';

export function addressMatcher(pattern: string | null | undefined): AddressMatcher {
  const s = (pattern ?? '').trim();
  if (s === '') return NEVER;
  if (s === '*' || s === '*.*.*.*' || s === '*:*:*:*:*:*:*:*') return ALWAYS;
  if (s.endsWith('}')) return setMatcher(braceAddresses(s));
  if (s.includes(',')) return setMatcher(s.split(',').map((a) => a.trim()).filter((a) => a !== ''));
  if (s.includes('*') || s.includes('-')) return s.includes(':') ? ipv6Range(s) : ipv4Range(s);
  return setMatcher([s]);
}

/** `192.168.0.{1,2}` -> 192.168.0.1, 192.168.0.2 (the braces must hold the last part). */
function braceAddresses(s: string): string[] {
  const open = s.indexOf('{');
  const v6 = s.includes(':');
  const lastPart = v6 ? s.slice(s.lastIndexOf(':') + 1) : s.split('.')[3];
  if (open < 0 || lastPart === undefined || !lastPart.startsWith('{')) throw new AclError(BAD_BRACES);
  const head = s.slice(0, open);
  return s.slice(open + 1, -1).split(',').map((item) => head + item.trim());
}

function setMatcher(addrs: string[]): AddressMatcher {
  const set = new Set<string>();
  for (const a of addrs) {
    if (isIP(a) === 0) throw new AclError(`Netaddress examine Exception netaddress is ${a}`);
    set.add(normalize(a));
  }
  return (ip) => set.has(normalize(ip));
}

/** IPv6 addresses compare expanded (eight four-digit groups, upper case), as AclUtils.expandIP. */
function normalize(ip: string): string {
  return isIPv6(ip) ? expandIPv6(ip) : ip;
}

export function expandIPv6(ip: string): string {
  let text = ip;
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two hex groups.
  const v4 = text.match(/(\d+\.\d+\.\d+\.\d+)$/);
  if (v4 && isIPv4(v4[1]!)) {
    const o = v4[1]!.split('.').map(Number);
    text = text.slice(0, -v4[1]!.length) + `${((o[0]! << 8) | o[1]!).toString(16)}:${((o[2]! << 8) | o[3]!).toString(16)}`;
  }
  const [left, right] = text.includes('::') ? text.split('::') : [text, undefined];
  const head = left ? left.split(':') : [];
  const tail = right ? right.split(':') : [];
  const groups = right === undefined ? head : [...head, ...Array<string>(8 - head.length - tail.length).fill('0'), ...tail];
  return groups.map((g) => g.padStart(4, '0').toUpperCase()).join(':');
}

interface Range {
  start: number;
  end: number;
}

/** `*` -> the whole span; `a-b` -> [a, b] checked against `max`; anything else -> null (not a range). */
function parseRange(part: string, max: number, radix: number): Range | null {
  const p = part.trim();
  if (p === '*') return { start: 0, end: max };
  if (!p.includes('-')) return null;
  if (p.startsWith('-')) throw new AclError(`RangeRemoteAddressStrategy netaddress examine scope Exception value ${p} `);
  const [a, b] = p.split('-');
  const start = parseInt(a ?? '', radix);
  const end = parseInt(b ?? '', radix);
  if (!(start >= 0 && end <= max && start <= end) || !/^[0-9a-fA-F]+-[0-9a-fA-F]+$/.test(p)) {
    throw new AclError(`RangeRemoteAddressStrategy netaddress examine scope Exception start is ${a} , end is ${b}`);
  }
  return { start, end };
}

/** `head.range[.*]`: the first of the 2nd-4th octets that is `*` or `a-b` is the range; the ones before it the prefix. */
function ipv4Range(s: string): AddressMatcher {
  const parts = s.split('.');
  const bad = new AclError(`Netaddress examine scope Exception netaddress is ${s}`);
  if (parts.length !== 4) throw bad;
  for (let index = 1; index <= 3; index++) {
    const range = parseRange(parts[index]!, 255, 10);
    if (range === null) continue;
    const head = parts.slice(0, index).map((p) => p.trim());
    if (!head.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) throw bad;
    // Parts after the range must be wildcards or numbers (they are not compared, as in RocketMQ).
    if (!parts.slice(index + 1).every((p) => p.trim() === '*' || /^\d{1,3}$/.test(p.trim()))) throw bad;
    const prefix = head.join('.') + '.';
    return (ip) => {
      if (!isIPv4(ip) || !ip.startsWith(prefix)) return false;
      const v = Number(ip.slice(prefix.length).split('.')[0]);
      return v >= range.start && v <= range.end;
    };
  }
  throw bad;
}

/** IPv6: `*` only at the end; a hex `a-b` range in the last group or just before a trailing `*`. */
function ipv6Range(s: string): AddressMatcher {
  const bad = new AclError(`Netaddress examine scope Exception netaddress is ${s}`);
  let text = s;
  let wildTail = false;
  if (text.endsWith(':*')) {
    text = text.slice(0, -2);
    wildTail = true;
  }
  if (text.includes('*')) throw bad;
  const cut = text.lastIndexOf(':');
  const last = text.slice(cut + 1);
  const headText = text.slice(0, cut);
  let range: Range | null = last.includes('-') ? parseRange(last, 0xffff, 16) : null;
  let prefixText = headText;
  // Groups the prefix stands for when it holds `::`: all but the range and a trailing wildcard.
  let prefixLen = wildTail ? 6 : 7;
  if (range === null) {
    if (!wildTail) throw bad;
    // `prefix:*`: the wildcard group is the range.
    prefixText = text;
    prefixLen = 7;
    range = { start: 0, end: 0xffff };
  }
  const prefixGroups = prefixGroupsOf(prefixText, prefixLen, bad);
  const index = prefixGroups.length;
  if (index >= 8) throw bad;
  const r = range;
  return (ip) => {
    if (!isIPv6(ip)) return false;
    const groups = expandIPv6(ip).split(':');
    for (let i = 0; i < index; i++) if (groups[i] !== prefixGroups[i]) return false;
    const v = parseInt(groups[index]!, 16);
    return v >= r.start && v <= r.end;
  };
}

function prefixGroupsOf(prefix: string, prefixLen: number, bad: AclError): string[] {
  if (prefix.endsWith('::')) throw bad;
  const groups = prefix.includes('::') ? null : prefix.split(':');
  if (groups) {
    if (!groups.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) throw bad;
    return groups.map((g) => g.padStart(4, '0').toUpperCase());
  }
  const [left, right] = prefix.split('::');
  const l = left ? left.split(':') : [];
  const r = right ? right.split(':') : [];
  const missing = prefixLen - l.length - r.length;
  if (missing < 1) throw bad;
  const all = [...l, ...Array<string>(missing).fill('0'), ...r];
  if (!all.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) throw bad;
  return all.map((g) => g.padStart(4, '0').toUpperCase());
}
