import { BlockList, isIP } from 'node:net';

/** A list of trusted proxy addresses or CIDR ranges (`10.0.0.0/8`, `::1`, `2001:db8::/32`). Throws RangeError on a bad entry. */
export function trustedProxyList(entries: readonly string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const [address = '', bits] = entry.trim().split('/', 2);
    const family = isIP(address);
    if (family === 0) throw new RangeError(`trusted proxy ${JSON.stringify(entry)} is not an IP address or CIDR range`);
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (bits === undefined) {
      list.addAddress(address, type);
      continue;
    }
    const prefix = Number(bits);
    if (!Number.isInteger(prefix) || prefix < 0 || prefix > (family === 4 ? 32 : 128)) {
      throw new RangeError(`trusted proxy ${JSON.stringify(entry)} has a bad prefix length`);
    }
    list.addSubnet(address, prefix, type);
  }
  return list;
}

/** `::ffff:1.2.3.4` → `1.2.3.4`; other addresses unchanged. */
export function unmapIpv4(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

function isTrusted(list: BlockList, address: string): boolean {
  const family = isIP(address);
  return family !== 0 && list.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/**
 * The viewer's address: the socket's peer, unless that peer is a trusted proxy, in which case the right-most
 * `X-Forwarded-For` entry that is not itself a trusted proxy. Entries a client wrote itself sit to the left of
 * what our proxies appended, so they are never reached while a trusted proxy appended one after them.
 */
export function clientAddress(remoteAddress: string | undefined, forwardedFor: string | string[] | undefined, trusted: BlockList | undefined): string {
  let address = unmapIpv4(remoteAddress ?? '');
  if (!trusted || forwardedFor === undefined || !isTrusted(trusted, address)) return address;
  const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor).split(',');
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = unmapIpv4(hops[i]!.trim());
    if (isIP(hop) === 0) break;
    address = hop;
    if (!isTrusted(trusted, hop)) break;
  }
  return address;
}

function expandIpv6(address: string): number[] | undefined {
  const zone = address.indexOf('%');
  const text = zone >= 0 ? address.slice(0, zone) : address;
  const [head = '', tail] = text.split('::', 2) as [string, string | undefined];
  const parse = (part: string): number[] => {
    if (part === '') return [];
    const groups: number[] = [];
    for (const piece of part.split(':')) {
      if (piece.includes('.')) {
        const v4 = piece.split('.').map(Number);
        groups.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else groups.push(parseInt(piece, 16));
    }
    return groups;
  };
  const left = parse(head);
  if (tail === undefined) return left.length === 8 ? left : undefined;
  const right = parse(tail);
  return [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
}

/**
 * The network a viewer is on, as a matching key: the /24 for IPv4 (`4:203.0.113`), the /48 for IPv6
 * (`6:2001:db8:1`). Viewers with the same key very likely share a home, office or campus network.
 * An address that does not parse gets a key of its own, so it is near nobody.
 */
export function networkKey(address: string): string {
  const plain = unmapIpv4(address);
  const family = isIP(plain);
  if (family === 4) return `4:${plain.slice(0, plain.lastIndexOf('.'))}`;
  if (family === 6) {
    const groups = expandIpv6(plain);
    if (groups) return `6:${groups.slice(0, 3).map((g) => g.toString(16)).join(':')}`;
  }
  return `?:${address}`;
}
