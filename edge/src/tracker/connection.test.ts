import { describe, expect, it } from 'vitest';
import type { Channel } from './channel.js';
import { TrackerConnection } from './connection.js';

const connection = () =>
  new TrackerConnection({} as Channel, { address: '203.0.113.1', network: '4:203.0.113', asn: undefined, country: undefined }, 10, 0);

describe('pending offers', () => {
  it('accept one answer per relayed offer, from the peer it was offered to, within the TTL', () => {
    const c = connection();
    c.rememberOffer('offer-1', 'alice', 'bob', 0, 10);
    expect(c.takeOffer('offer-1', 'alice', 'mallory', 10, 1_000)).toBe(false);
    expect(c.takeOffer('offer-1', 'eve', 'bob', 10, 1_000)).toBe(false);
    expect(c.takeOffer('offer-1', 'alice', 'bob', 10, 1_000)).toBe(true);
    expect(c.takeOffer('offer-1', 'alice', 'bob', 10, 1_000)).toBe(false);
    c.rememberOffer('offer-2', 'alice', 'bob', 0, 10);
    expect(c.takeOffer('offer-2', 'alice', 'bob', 1_001, 1_000)).toBe(false);
  });

  it('forget the oldest beyond the bound', () => {
    const c = connection();
    for (let i = 0; i < 5; i++) c.rememberOffer(`offer-${i}`, 'alice', 'bob', i, 3);
    expect(c.takeOffer('offer-0', 'alice', 'bob', 5, 1_000)).toBe(false);
    expect(c.takeOffer('offer-1', 'alice', 'bob', 5, 1_000)).toBe(false);
    expect(c.takeOffer('offer-4', 'alice', 'bob', 5, 1_000)).toBe(true);
  });
});
