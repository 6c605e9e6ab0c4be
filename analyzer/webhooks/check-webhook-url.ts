import { lookup as dnsLookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { err, ok, type Result } from '../../core/result.js';

/**
 * The SSRF guard for subscriber URLs. Link-local and cloud metadata addresses are never reachable; private and
 * loopback ranges only inside a configured allow-list (`webhooks.allowPrivateNetworks`); everything else (public
 * unicast) is. Checked when a subscription is made and again before every delivery, on the resolved addresses,
 * and the delivery connects to exactly the address checked here (no second DNS lookup to rebind).
 */
const NEVER: [string, number, 'ipv4' | 'ipv6'][] = [
  ['0.0.0.0', 8, 'ipv4'], // "this network"; 0.0.0.0 reaches the local host on Linux
  ['169.254.0.0', 16, 'ipv4'], // link-local, AWS/GCP/Azure metadata at 169.254.169.254
  ['100.100.100.200', 32, 'ipv4'], // Alibaba Cloud metadata
  ['168.63.129.16', 32, 'ipv4'], // Azure wire server
  ['192.0.0.0', 24, 'ipv4'], // IETF protocol assignments (incl. 192.0.0.192 Oracle metadata)
  ['224.0.0.0', 4, 'ipv4'], // multicast
  ['240.0.0.0', 4, 'ipv4'], // reserved and broadcast
  ['::', 128, 'ipv6'], // unspecified
  ['fe80::', 10, 'ipv6'], // link-local
  ['fd00:ec2::254', 128, 'ipv6'], // AWS metadata over IPv6
  ['ff00::', 8, 'ipv6'], // multicast
];
const PRIVATE: [string, number, 'ipv4' | 'ipv6'][] = [
  ['10.0.0.0', 8, 'ipv4'],
  ['172.16.0.0', 12, 'ipv4'],
  ['192.168.0.0', 16, 'ipv4'],
  ['127.0.0.0', 8, 'ipv4'],
  ['100.64.0.0', 10, 'ipv4'], // carrier-grade NAT, often a cluster's pod network
  ['198.18.0.0', 15, 'ipv4'], // benchmarking
  ['::1', 128, 'ipv6'],
  ['fc00::', 7, 'ipv6'], // unique local
];

function listOf(ranges: [string, number, 'ipv4' | 'ipv6'][]): BlockList {
  const list = new BlockList();
  for (const [address, prefix, family] of ranges) list.addSubnet(address, prefix, family);
  return list;
}
const never = listOf(NEVER);
const privateRanges = listOf(PRIVATE);

/** A compiled allow-list; build it once per config, not per delivery. */
export function createAddressPolicy(allowPrivateNetworks: readonly string[]): BlockList {
  const list = new BlockList();
  for (const cidr of allowPrivateNetworks) {
    const [address = '', bits = ''] = cidr.split('/');
    const family = isIP(address);
    if (family === 0) throw new Error(`webhooks.allowPrivateNetworks: ${cidr} is not a CIDR`);
    list.addSubnet(address, Number(bits), family === 4 ? 'ipv4' : 'ipv6');
  }
  return list;
}

/**
 * An IPv4 address hidden inside an IPv6 one (IPv4-mapped `::ffff:a.b.c.d`, NAT64 `64:ff9b::a.b.c.d`) is judged
 * as the IPv4 address it reaches.
 */
function embeddedIpv4(address: string): string | undefined {
  const lower = address.toLowerCase();
  for (const prefix of ['::ffff:', '64:ff9b::']) {
    if (!lower.startsWith(prefix)) continue;
    const rest = lower.slice(prefix.length);
    if (isIP(rest) === 4) return rest;
    const hex = /^([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(rest);
    if (hex?.[1] && hex[2]) {
      const hi = Number.parseInt(hex[1], 16);
      const lo = Number.parseInt(hex[2], 16);
      return [hi >> 8, hi & 255, lo >> 8, lo & 255].join('.');
    }
  }
  return undefined;
}

/** Whether one resolved address may be connected to; the error says which range refused it. */
export function checkWebhookAddress(address: string, allowed: BlockList): Result<string, string> {
  const inner = embeddedIpv4(address);
  const ip = inner ?? address;
  const family = isIP(ip);
  if (family === 0) return err(`${address} is not an IP address`);
  const type = family === 4 ? 'ipv4' : 'ipv6';
  if (never.check(ip, type)) return err(`${address} is a link-local, metadata or reserved address`);
  if (privateRanges.check(ip, type) && !allowed.check(ip, type)) {
    return err(`${address} is a private or loopback address not in webhooks.allowPrivateNetworks`);
  }
  return ok(ip);
}

/** The syntax part: an absolute http(s) URL without credentials. */
export function parseWebhookUrl(raw: string): Result<URL, string> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return err('url is not an absolute URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return err('url must be http or https');
  if (url.username || url.password) return err('url must not carry credentials');
  if (!url.hostname) return err('url has no host');
  return ok(url);
}

export type LookupAll = (hostname: string) => Promise<{ address: string; family: number }[]>;

export const systemLookup: LookupAll = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

/**
 * Answers repeated lookups of a host from memory for `ttlMs`: every delivery re-checks its URL, and thousands a
 * second to one receiver need not each ask DNS. Failures are not cached.
 */
export function createCachedLookup(
  lookup: LookupAll,
  ttlMs: number,
  now: () => number = Date.now,
): LookupAll {
  const cache = new Map<string, { at: number; addresses: Promise<{ address: string; family: number }[]> }>();
  return (hostname) => {
    const hit = cache.get(hostname);
    if (hit && now() - hit.at < ttlMs) return hit.addresses;
    const addresses = lookup(hostname);
    cache.set(hostname, { at: now(), addresses });
    addresses.catch(() => cache.delete(hostname));
    return addresses;
  };
}

export interface WebhookTarget {
  url: URL;
  /** The one address to connect to, checked. */
  address: string;
  family: 4 | 6;
}

/**
 * Resolves the URL's host and checks every address it resolves to: one refused address refuses the URL, since
 * which one a client would pick is not ours to know.
 */
export async function checkWebhookUrl(
  raw: string,
  allowed: BlockList,
  lookup: LookupAll = systemLookup,
): Promise<Result<WebhookTarget, string>> {
  const parsed = parseWebhookUrl(raw);
  if (!parsed.ok) return parsed;
  const url = parsed.value;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  let addresses: { address: string; family: number }[];
  if (isIP(host) !== 0) {
    addresses = [{ address: host, family: isIP(host) }];
  } else {
    try {
      addresses = await lookup(host);
    } catch (error) {
      return err(
        `url host ${host} does not resolve: ${(error as { code?: string }).code ?? 'lookup failed'}`,
      );
    }
    if (addresses.length === 0) return err(`url host ${host} does not resolve`);
  }
  let first: WebhookTarget | undefined;
  for (const a of addresses) {
    const checked = checkWebhookAddress(a.address, allowed);
    if (!checked.ok) return err(`url host ${host} resolves to ${checked.error}`);
    first ??= { url, address: checked.value, family: isIP(checked.value) === 6 ? 6 : 4 };
  }
  if (!first) return err(`url host ${host} does not resolve`);
  return ok(first);
}
