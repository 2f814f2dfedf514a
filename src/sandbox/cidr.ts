import { randomBytes } from "node:crypto";

/** An IPv4 CIDR parsed: network address as a 32-bit number, prefix length. */
export interface Ipv4Cidr {
  network: number;
  prefix: number;
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

export function parseIpv4(text: string): number | undefined {
  const m = IPV4.exec(text);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return parts.reduce((acc, p) => acc * 256 + p, 0);
}

export function formatIpv4(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join(".");
}

/** `172.16.8.0/22` → its network and prefix; undefined when it is not an IPv4 CIDR or has host bits set. */
export function parseIpv4Cidr(text: string): Ipv4Cidr | undefined {
  const [addr, len, ...rest] = text.split("/");
  if (rest.length > 0 || addr === undefined || len === undefined || !/^\d{1,2}$/.test(len)) return undefined;
  const ip = parseIpv4(addr);
  const prefix = Number(len);
  if (ip === undefined || prefix > 32) return undefined;
  const size = 2 ** (32 - prefix);
  if (ip % size !== 0) return undefined;
  return { network: ip, prefix };
}

export const cidrSize = (c: Ipv4Cidr): number => 2 ** (32 - c.prefix);

export function overlaps(a: Ipv4Cidr, b: Ipv4Cidr): boolean {
  return a.network < b.network + cidrSize(b) && b.network < a.network + cidrSize(a);
}

export function contains(c: Ipv4Cidr, ip: number): boolean {
  return ip >= c.network && ip < c.network + cidrSize(c);
}

export const isIpv6Cidr = (text: string): boolean => /^[0-9a-f:]+::?[0-9a-f:]*\/\d{1,3}$/i.test(text) && text.includes(":");

/** A unique-local /64 (fdxx:xxxx:xxxx:xxxx::/64), as Scaleway gives every private network beside its IPv4 subnet. */
export function randomIpv6Subnet(prefix48: string): string {
  return `${prefix48}:${randomBytes(2)
    .toString("hex")
    .replace(/^0+(?=.)/, "")}::/64`;
}

/** A unique-local /48 prefix (`fd5f:519c:6d46`): one per VPC, its private networks' /64s are cut from it. */
export function randomIpv6Prefix48(): string {
  const b = randomBytes(5).toString("hex");
  const group = (s: string) => s.replace(/^0+(?=.)/, "");
  return `fd${b.slice(0, 2)}:${group(b.slice(2, 6))}:${group(b.slice(6, 10))}`;
}

/** A locally administered unicast MAC in Scaleway's recorded form (`02:00:00:1F:99:A5`). */
export function randomMac(): string {
  return ["02", "00", "00", ...[...randomBytes(3)].map((x) => x.toString(16).padStart(2, "0"))].join(":").toUpperCase();
}
