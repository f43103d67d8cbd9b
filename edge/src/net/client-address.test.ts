import { describe, expect, it } from 'vitest';
import { clientAddress, networkKey, trustedProxyList } from './client-address.js';

describe('networkKey', () => {
  it('groups IPv4 by /24 and IPv4-mapped IPv6 with it', () => {
    expect(networkKey('203.0.113.7')).toBe('4:203.0.113');
    expect(networkKey('203.0.113.250')).toBe(networkKey('203.0.113.7'));
    expect(networkKey('::ffff:203.0.113.9')).toBe('4:203.0.113');
    expect(networkKey('203.0.114.7')).not.toBe(networkKey('203.0.113.7'));
  });

  it('groups IPv6 by /48 whatever the spelling', () => {
    expect(networkKey('2001:db8:1:2::1')).toBe('6:2001:db8:1');
    expect(networkKey('2001:0db8:0001:ffff:0:0:0:9')).toBe('6:2001:db8:1');
    expect(networkKey('2001:db8::1')).toBe('6:2001:db8:0');
    expect(networkKey('::1')).toBe('6:0:0:0');
    expect(networkKey('fe80::1%eth0')).toBe('6:fe80:0:0');
    expect(networkKey('2001:db8:2::1')).not.toBe(networkKey('2001:db8:1::1'));
  });

  it('gives an unparseable address a key of its own', () => {
    expect(networkKey('')).toBe('?:');
    expect(networkKey('not-an-ip')).toBe('?:not-an-ip');
  });
});

describe('clientAddress', () => {
  const trusted = trustedProxyList(['10.0.0.0/8', '::1']);

  it('uses the socket address when no proxy is trusted or the peer is not one', () => {
    expect(clientAddress('198.51.100.4', '1.2.3.4', undefined)).toBe('198.51.100.4');
    expect(clientAddress('198.51.100.4', '1.2.3.4', trusted)).toBe('198.51.100.4');
    expect(clientAddress('::ffff:198.51.100.4', undefined, trusted)).toBe('198.51.100.4');
  });

  it('walks X-Forwarded-For from the right, past trusted proxies only', () => {
    expect(clientAddress('10.1.1.1', '203.0.113.5', trusted)).toBe('203.0.113.5');
    expect(clientAddress('10.1.1.1', '6.6.6.6, 203.0.113.5, 10.2.2.2', trusted)).toBe('203.0.113.5');
    expect(clientAddress('::1', ['6.6.6.6', '203.0.113.5'], trusted)).toBe('203.0.113.5');
    // A garbage hop stops the walk at the last proxy we trust.
    expect(clientAddress('10.1.1.1', 'evil, garbage', trusted)).toBe('10.1.1.1');
  });

  it('refuses malformed trusted proxy entries', () => {
    expect(() => trustedProxyList(['10.0.0.0/33'])).toThrow(RangeError);
    expect(() => trustedProxyList(['proxy.example'])).toThrow(RangeError);
  });
});
