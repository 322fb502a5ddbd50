/**
 * IPv4 / IPv6 addresses and CIDR blocks for the IpAddress operators and the
 * source-ip-condition rule. Addresses are held as bigint so both families share one code path.
 * IPv4-mapped IPv6 addresses are not folded into IPv4 (IAM does not document it either).
 */
import { RecentlyUsedMap } from "../util/recently-used-map.js";

export type IpVersion = 4 | 6;

export interface IpAddress {
  version: IpVersion;
  value: bigint;
}

/** Read-only: parseCidr hands the same block to every caller that parses the same text. */
export interface Cidr {
  readonly version: IpVersion;
  /** The network address (host bits cleared). */
  readonly network: bigint;
  readonly prefix: number;
}

const IPV4_OCTET = /^\d{1,3}$/;
const IPV6_GROUP = /^[0-9a-fA-F]{1,4}$/;
const PREFIX = /^\d{1,3}$/;

function bitsOf(version: IpVersion): number {
  return version === 4 ? 32 : 128;
}

function parseIpv4(text: string): bigint | undefined {
  const octets = text.split(".");
  if (octets.length !== 4) return undefined;
  let value = 0n;
  for (const octet of octets) {
    if (!IPV4_OCTET.test(octet)) return undefined;
    const number = Number(octet);
    if (number > 255) return undefined;
    value = (value << 8n) | BigInt(number);
  }
  return value;
}

function parseIpv6(text: string): bigint | undefined {
  if (text.length === 0 || text.includes("%")) return undefined;
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const head = groupsOf(halves[0] as string);
  const tail = halves.length === 2 ? groupsOf(halves[1] as string) : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const groups = [...head, ...Array<number>(halves.length === 2 ? missing : 0).fill(0), ...tail];
  return groups.reduce((value, group) => (value << 16n) | BigInt(group), 0n);
}

/** Hex groups of one side of `::`; a trailing dotted quad counts as two groups. */
function groupsOf(side: string): number[] | undefined {
  if (side === "") return [];
  const parts = side.split(":");
  const groups: number[] = [];
  for (const [index, part] of parts.entries()) {
    if (index === parts.length - 1 && part.includes(".")) {
      const v4 = parseIpv4(part);
      if (v4 === undefined) return undefined;
      groups.push(Number(v4 >> 16n), Number(v4 & 0xffffn));
      continue;
    }
    if (!IPV6_GROUP.test(part)) return undefined;
    groups.push(parseInt(part, 16));
  }
  return groups;
}

export function parseIp(text: string): IpAddress | undefined {
  const trimmed = text.trim();
  if (trimmed.includes(":")) {
    const value = parseIpv6(trimmed);
    return value === undefined ? undefined : { version: 6, value };
  }
  const value = parseIpv4(trimmed);
  return value === undefined ? undefined : { version: 4, value };
}

function masksOf(bits: number): readonly bigint[] {
  return Array.from({ length: bits + 1 }, (_, prefix) => (prefix === 0 ? 0n : ((1n << BigInt(prefix)) - 1n) << BigInt(bits - prefix)));
}

/** Every mask, made once: building one took three bigints per comparison. */
const MASKS: Readonly<Record<IpVersion, readonly bigint[]>> = { 4: masksOf(32), 6: masksOf(128) };

function maskOf(version: IpVersion, prefix: number): bigint {
  return MASKS[version][prefix]!;
}

/**
 * Blocks parsed from text, by the text, up to this many characters of keys. The webhook
 * reads the same policy values and VPC blocks in every review; a block is a few bigints.
 */
const MAX_PARSED_CHARS = 64 * 1024;
/** Longer texts are parsed every time: a block needs at most 49 characters, whitespace aside. */
const MAX_KEPT_TEXT = 64;
const parsedBlocks = new RecentlyUsedMap<string, Cidr | null>(MAX_PARSED_CHARS);

/** `10.0.0.0/8`, `2001:db8::/32`, or a bare address (a /32 or /128). Host bits are cleared. */
export function parseCidr(text: string): Cidr | undefined {
  if (typeof text !== "string") return undefined;
  if (text.length > MAX_KEPT_TEXT) return readCidr(text);
  const kept = parsedBlocks.get(text);
  if (kept !== undefined) return kept ?? undefined;
  const block = readCidr(text);
  parsedBlocks.set(text, block ?? null, text.length + 1);
  return block;
}

function readCidr(text: string): Cidr | undefined {
  const slash = text.indexOf("/");
  const address = parseIp(slash < 0 ? text : text.slice(0, slash));
  if (!address) return undefined;
  const bits = bitsOf(address.version);
  let prefix = bits;
  if (slash >= 0) {
    const prefixText = text.slice(slash + 1).trim();
    if (!PREFIX.test(prefixText)) return undefined;
    prefix = Number(prefixText);
    if (prefix > bits) return undefined;
  }
  return Object.freeze({ version: address.version, network: address.value & maskOf(address.version, prefix), prefix });
}

function toCidr(value: string | Cidr): Cidr | undefined {
  return typeof value === "string" ? parseCidr(value) : value;
}

export function addressInCidr(address: IpAddress, cidr: Cidr): boolean {
  return address.version === cidr.version && (address.value & maskOf(cidr.version, cidr.prefix)) === cidr.network;
}

/** False when either side cannot be read (a request IP that is not an IP never matches). */
export function ipInCidr(ip: string, cidr: string | Cidr): boolean {
  const address = parseIp(ip);
  const block = toCidr(cidr);
  return address !== undefined && block !== undefined && addressInCidr(address, block);
}

export function cidrsOverlap(a: string | Cidr, b: string | Cidr): boolean {
  const left = toCidr(a);
  const right = toCidr(b);
  if (!left || !right || left.version !== right.version) return false;
  const mask = maskOf(left.version, Math.min(left.prefix, right.prefix));
  return (left.network & mask) === (right.network & mask);
}

/** `inner` lies entirely inside `outer`. */
export function cidrContains(outer: string | Cidr, inner: string | Cidr): boolean {
  const big = toCidr(outer);
  const small = toCidr(inner);
  if (!big || !small || big.version !== small.version || small.prefix < big.prefix) return false;
  return (small.network & maskOf(big.version, big.prefix)) === big.network;
}

/** Ranges that never reach S3 as a public source address: RFC 1918, CGNAT, IPv6 ULA and link-local. */
export const PRIVATE_RANGES: readonly string[] = [
  "10.0.0.0/8",
  "172.16.0.0/12",
  "192.168.0.0/16",
  "100.64.0.0/10",
  "fc00::/7",
  "fe80::/10",
];

const parsedPrivateRanges = PRIVATE_RANGES.map((range) => parseCidr(range) as Cidr);

/** The block lies entirely inside one private range (an unreadable block is not private). */
export function isPrivateRange(cidr: string | Cidr): boolean {
  const block = toCidr(cidr);
  return block !== undefined && parsedPrivateRanges.some((range) => cidrContains(range, block));
}

/** The block shares at least one address with a private range (e.g. 0.0.0.0/0 does). */
export function overlapsPrivateRange(cidr: string | Cidr): boolean {
  const block = toCidr(cidr);
  return block !== undefined && parsedPrivateRanges.some((range) => cidrsOverlap(range, block));
}
