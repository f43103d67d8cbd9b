import { isIP } from 'node:net';

/**
 * Writes a small MaxMind DB (the GeoLite2 file format: https://maxmind.github.io/MaxMind-DB/) so the GeoIP code
 * can be tested against the real `maxmind` reader without shipping a database. IPv6 tree, 32-bit records,
 * IPv4 networks at ::a.b.c.d as GeoLite2 stores them. Values: strings, unsigned integers, maps.
 */
export type MmdbValue = string | number | { readonly [key: string]: MmdbValue } | readonly MmdbValue[];

export interface MmdbNetwork {
  /** `a.b.c.d/len` or `xxxx::/len`. */
  readonly cidr: string;
  readonly data: MmdbValue;
}

function control(type: number, size: number): Buffer {
  const ext = type > 7;
  const head = (ext ? 0 : type << 5) | (size < 29 ? size : size < 285 ? 29 : 30);
  const parts = [head];
  if (ext) parts.push(type - 7);
  if (size >= 29 && size < 285) parts.push(size - 29);
  else if (size >= 285) parts.push(((size - 285) >> 8) & 0xff, (size - 285) & 0xff);
  return Buffer.from(parts);
}

function encode(value: MmdbValue): Buffer {
  if (typeof value === 'string') {
    const bytes = Buffer.from(value, 'utf8');
    return Buffer.concat([control(2, bytes.length), bytes]);
  }
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 0) throw new RangeError('only unsigned integers');
    const bytes: number[] = [];
    for (let v = value; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
    // uint32 (type 6) up to 2^32, uint64 (type 9, extended) beyond.
    return Buffer.concat([control(value < 2 ** 32 ? 6 : 9, bytes.length), Buffer.from(bytes)]);
  }
  if (Array.isArray(value)) return Buffer.concat([control(11, value.length), ...value.map(encode)]);
  const entries = Object.entries(value as Record<string, MmdbValue>);
  return Buffer.concat([control(7, entries.length), ...entries.flatMap(([k, v]) => [encode(k), encode(v)])]);
}

function bitsOf(cidr: string): number[] {
  const [address = '', lengthText = ''] = cidr.split('/');
  const length = Number(lengthText);
  let bytes: number[];
  if (isIP(address) === 4) {
    bytes = [...new Array<number>(12).fill(0), ...address.split('.').map(Number)];
    return toBits(bytes).slice(0, 96 + length);
  }
  const [head = '', tail = ''] = address.split('::');
  const groups = (s: string) => (s === '' ? [] : s.split(':').map((g) => parseInt(g, 16)));
  const left = groups(head);
  const right = groups(tail);
  const all = [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  bytes = all.flatMap((g) => [g >> 8, g & 0xff]);
  return toBits(bytes).slice(0, length);
}

function toBits(bytes: number[]): number[] {
  return bytes.flatMap((b) => Array.from({ length: 8 }, (_, i) => (b >> (7 - i)) & 1));
}

type TreeRecord = { node: number } | { data: number } | { empty: true };

export function writeMmdb(networks: readonly MmdbNetwork[], databaseType = 'GeoLite2-ASN'): Buffer {
  const nodes: [TreeRecord, TreeRecord][] = [[{ empty: true }, { empty: true }]];
  const dataParts: Buffer[] = [];
  let dataSize = 0;
  for (const network of networks) {
    const encoded = encode(network.data);
    const offset = dataSize;
    dataParts.push(encoded);
    dataSize += encoded.length;
    const bits = bitsOf(network.cidr);
    let node = 0;
    for (let depth = 0; depth < bits.length; depth++) {
      const bit = bits[depth]!;
      if (depth === bits.length - 1) {
        nodes[node]![bit] = { data: offset };
        break;
      }
      const next = nodes[node]![bit]!;
      if ('node' in next) node = next.node;
      else {
        nodes.push([{ empty: true }, { empty: true }]);
        nodes[node]![bit] = { node: nodes.length - 1 };
        node = nodes.length - 1;
      }
    }
  }
  const nodeCount = nodes.length;
  const tree = Buffer.alloc(nodeCount * 8);
  const value = (r: TreeRecord): number => ('node' in r ? r.node : 'data' in r ? nodeCount + 16 + r.data : nodeCount);
  nodes.forEach(([l, r], i) => {
    tree.writeUInt32BE(value(l), i * 8);
    tree.writeUInt32BE(value(r), i * 8 + 4);
  });
  const metadata = encode({
    binary_format_major_version: 2,
    binary_format_minor_version: 0,
    build_epoch: Math.floor(Date.now() / 1000),
    database_type: databaseType,
    description: { en: 'Shoal test database' },
    ip_version: 6,
    languages: ['en'],
    node_count: nodeCount,
    record_size: 32,
  });
  // uint16 fields are accepted as uint32 by readers; keep it simple.
  return Buffer.concat([tree, Buffer.alloc(16), ...dataParts, Buffer.from('ABCDEF4D61784D696E642E636F6D', 'hex'), metadata]);
}
