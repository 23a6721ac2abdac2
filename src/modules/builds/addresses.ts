/**
 * Which IP addresses a build may reach when it fetches source: public unicast only, unless the
 * operator allows private addresses. IPv6 forms that embed an IPv4 address (mapped, compatible,
 * NAT64, 6to4) are judged by the address they embed, so `::ffff:127.0.0.1` is loopback.
 */
import { isIPv4, isIPv6 } from 'node:net';

/** Why an address is not public, or undefined for a public unicast address. */
export type AddressClass =
  'loopback' | 'private' | 'link_local' | 'unspecified' | 'multicast' | 'reserved' | undefined;

/** A range: the address bytes of its prefix, its length in bits and what it is. */
type Range = readonly [
  prefix: readonly number[],
  bits: number,
  kind: Exclude<AddressClass, undefined>,
];

const V4_RANGES: readonly Range[] = [
  [[0], 8, 'unspecified'],
  [[10], 8, 'private'],
  [[100, 64], 10, 'private'], // CGNAT
  [[127], 8, 'loopback'],
  [[169, 254], 16, 'link_local'],
  [[172, 16], 12, 'private'],
  [[192, 0, 0], 24, 'reserved'], // IETF protocol assignments
  [[192, 0, 2], 24, 'reserved'], // documentation
  [[192, 88, 99], 24, 'reserved'], // 6to4 relay anycast
  [[192, 168], 16, 'private'],
  [[198, 18], 15, 'private'], // benchmarking
  [[198, 51, 100], 24, 'reserved'],
  [[203, 0, 113], 24, 'reserved'],
  [[224], 4, 'multicast'],
  [[240], 4, 'reserved'], // and 255.255.255.255
];

const V6_RANGES: readonly Range[] = [
  [[0x01, 0x00, 0, 0, 0, 0, 0, 0], 64, 'reserved'], // discard-only
  [[0x00, 0x64, 0xff, 0x9b, 0x00, 0x01], 48, 'private'], // local-use NAT64
  [[0x20, 0x01, 0x00, 0x00], 32, 'reserved'], // Teredo: hides its IPv4 endpoints
  [[0x20, 0x01, 0x0d, 0xb8], 32, 'reserved'], // documentation
  [[0xfc], 7, 'private'], // unique local
  [[0xfe, 0x80], 10, 'link_local'],
  [[0xfe, 0xc0], 10, 'private'], // deprecated site-local
  [[0xff], 8, 'multicast'],
];

/** Classifies an IPv4 or IPv6 address (as text); throws on text that is neither. */
export function classifyAddress(address: string): AddressClass {
  if (isIPv4(address)) {
    return classifyBytes(ipv4Bytes(address), V4_RANGES);
  }
  if (!isIPv6(address)) {
    throw new TypeError(`not an IP address: ${address}`);
  }
  const bytes = ipv6Bytes(address);
  if (bytes.every((b) => b === 0)) {
    return 'unspecified';
  }
  if (bytes.slice(0, 15).every((b) => b === 0) && bytes[15] === 1) {
    return 'loopback';
  }
  const embedded = embeddedIPv4(bytes);
  if (embedded !== undefined) {
    return classifyBytes(embedded, V4_RANGES);
  }
  return classifyBytes(bytes, V6_RANGES);
}

/** True for a public unicast address. */
export function isPublicAddress(address: string): boolean {
  return classifyAddress(address) === undefined;
}

/** The IPv4 address inside a mapped, compatible, NAT64 (64:ff9b::/96) or 6to4 address. */
function embeddedIPv4(b: readonly number[]): number[] | undefined {
  const zeros = (from: number, to: number) => b.slice(from, to).every((x) => x === 0);
  const mapped = zeros(0, 10) && b[10] === 0xff && b[11] === 0xff;
  const compatible = zeros(0, 12);
  const nat64 = b[0] === 0x00 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b && zeros(4, 12);
  if (mapped || compatible || nat64) {
    return b.slice(12, 16);
  }
  if (b[0] === 0x20 && b[1] === 0x02) {
    return b.slice(2, 6); // 6to4: 2002:AABB:CCDD::/48
  }
  return undefined;
}

function classifyBytes(bytes: readonly number[], ranges: readonly Range[]): AddressClass {
  for (const [prefix, bits, kind] of ranges) {
    if (matches(bytes, prefix, bits)) {
      return kind;
    }
  }
  return undefined;
}

function matches(bytes: readonly number[], prefix: readonly number[], bits: number): boolean {
  for (let bit = 0; bit < bits; bit += 8) {
    const left = Math.min(8, bits - bit);
    const mask = (0xff << (8 - left)) & 0xff;
    const i = bit / 8;
    if (((bytes[i] ?? 0) & mask) !== ((prefix[i] ?? 0) & mask)) {
      return false;
    }
  }
  return true;
}

function ipv4Bytes(address: string): number[] {
  return address.split('.').map(Number);
}

/** The 16 bytes of a valid IPv6 address (with `::` and a dotted IPv4 tail expanded). */
function ipv6Bytes(address: string): number[] {
  let text = address;
  const tail: number[] = [];
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted?.[1] !== undefined) {
    tail.push(...ipv4Bytes(dotted[1]));
    text = text.slice(0, -dotted[1].length) + '0:0';
  }
  const [head = '', rest] = text.split('::');
  const words = (part: string | undefined) =>
    part === undefined || part === '' ? [] : part.split(':').map((w) => parseInt(w, 16));
  const front = words(head);
  const back = words(rest);
  const fill = rest === undefined ? 0 : 8 - front.length - back.length;
  const all = [...front, ...Array<number>(fill).fill(0), ...back];
  const bytes = all.flatMap((w) => [w >> 8, w & 0xff]);
  if (tail.length === 4) {
    bytes.splice(12, 4, ...tail);
  }
  return bytes;
}
