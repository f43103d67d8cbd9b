import maxmind, { type Reader, type Response } from 'maxmind';

export interface GeoInfo {
  readonly asn: number | undefined;
  readonly country: string | undefined;
}

/** Looks up where an address is; the tracker calls it once per connection, never per message. */
export interface GeoLookup {
  lookup(address: string): GeoInfo;
}

const UNKNOWN: GeoInfo = { asn: undefined, country: undefined };

/** The fields GeoLite2-ASN, -Country and -City records carry that matching uses. */
interface GeoRecord {
  readonly autonomous_system_number?: unknown;
  readonly country?: { readonly iso_code?: unknown };
  readonly registered_country?: { readonly iso_code?: unknown };
}

function readRecord(reader: Reader<Response>, address: string): GeoRecord | undefined {
  try {
    return (reader.get(address) as GeoRecord | null) ?? undefined;
  } catch {
    // An IPv6 address in an IPv4-only database, or an address maxmind cannot parse.
    return undefined;
  }
}

/** A lookup over several GeoLite2-format databases (typically ASN + Country); the first one that knows a field wins. */
export class MaxmindGeoLookup implements GeoLookup {
  constructor(private readonly readers: readonly Reader<Response>[]) {}

  lookup(address: string): GeoInfo {
    let asn: number | undefined;
    let country: string | undefined;
    for (const reader of this.readers) {
      const record = readRecord(reader, address);
      if (!record) continue;
      const number = record.autonomous_system_number;
      if (asn === undefined && typeof number === 'number' && Number.isInteger(number)) asn = number;
      const iso = record.country?.iso_code ?? record.registered_country?.iso_code;
      if (country === undefined && typeof iso === 'string') country = iso;
    }
    return asn === undefined && country === undefined ? UNKNOWN : { asn, country };
  }
}

/** Opens GeoLite2-format `.mmdb` files with `maxmind`; undefined when none is configured. Throws when a file cannot be read. */
export async function openGeoLookup(paths: readonly string[]): Promise<GeoLookup | undefined> {
  if (paths.length === 0) return undefined;
  const readers = await Promise.all(paths.map((path) => maxmind.open(path, { cache: { max: 10_000 } })));
  return new MaxmindGeoLookup(readers);
}
