import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeMmdb } from '../../test/mmdb-writer.js';
import { openGeoLookup, type GeoLookup } from './geo.js';

let dir: string;
let geo: GeoLookup;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'shoal-geo-'));
  const asnPath = join(dir, 'asn.mmdb');
  const countryPath = join(dir, 'country.mmdb');
  await writeFile(
    asnPath,
    writeMmdb([
      { cidr: '198.51.100.0/24', data: { autonomous_system_number: 64500, autonomous_system_organization: 'Example One' } },
      { cidr: '203.0.113.0/24', data: { autonomous_system_number: 64500, autonomous_system_organization: 'Example One' } },
      { cidr: '2001:db8::/32', data: { autonomous_system_number: 64501, autonomous_system_organization: 'Example Six' } },
    ]),
  );
  await writeFile(
    countryPath,
    writeMmdb(
      [
        { cidr: '198.51.0.0/16', data: { country: { iso_code: 'FR', names: { en: 'France' } } } },
        { cidr: '192.0.2.0/24', data: { registered_country: { iso_code: 'DE' } } },
      ],
      'GeoLite2-Country',
    ),
  );
  geo = (await openGeoLookup([asnPath, countryPath]))!;
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('GeoLite2 lookup', () => {
  it('combines ASN and country from separate databases', () => {
    expect(geo.lookup('198.51.100.7')).toEqual({ asn: 64500, country: 'FR' });
    expect(geo.lookup('203.0.113.9')).toEqual({ asn: 64500, country: undefined });
    expect(geo.lookup('192.0.2.1')).toEqual({ asn: undefined, country: 'DE' });
    expect(geo.lookup('2001:db8:5::1')).toEqual({ asn: 64501, country: undefined });
  });

  it('knows nothing of unlisted or unparseable addresses, without throwing', () => {
    expect(geo.lookup('8.8.8.8')).toEqual({ asn: undefined, country: undefined });
    expect(geo.lookup('not an address')).toEqual({ asn: undefined, country: undefined });
    expect(geo.lookup('')).toEqual({ asn: undefined, country: undefined });
  });

  it('is off without databases and fails loudly on a missing file', async () => {
    expect(await openGeoLookup([])).toBeUndefined();
    await expect(openGeoLookup([join(dir, 'missing.mmdb')])).rejects.toThrow();
  });
});
