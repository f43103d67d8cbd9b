import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConnectionIceServers, iceServersFor, turnCredentials } from './ice-servers.js';

describe('ICE servers handed out by the edge', () => {
  it('signs TURN credentials the way coturn checks them (use-auth-secret)', () => {
    const { username, credential } = turnCredentials('s3cret', 3600, 1_700_000_000_500, 'abc');
    expect(username).toBe('1700003600:abc');
    // coturn: password = base64(HMAC-SHA1(static-auth-secret, username))
    expect(credential).toBe(createHmac('sha1', 's3cret').update('1700003600:abc').digest('base64'));
    expect(turnCredentials('other', 3600, 1_700_000_000_500, 'abc').credential).not.toBe(credential);
  });

  it('lists STUN alone, and TURN only with a secret', () => {
    const base = { stunUrls: ['stun:a:3478'], turnUrls: [], turnSecret: undefined, turnTtlSeconds: 60 };
    expect(iceServersFor(base, 0, 'x')).toEqual([{ urls: ['stun:a:3478'] }]);
    const turn = iceServersFor({ ...base, turnUrls: ['turn:a:3478?transport=udp'], turnSecret: 'k' }, 10_000, 'x');
    expect(turn).toHaveLength(2);
    expect(turn[1]).toMatchObject({ urls: ['turn:a:3478?transport=udp'], username: '70:x' });
    expect(iceServersFor({ ...base, stunUrls: [] }, 0, 'x')).toEqual([]);
  });

  it('renews a connection’s credentials after half their lifetime, and says nothing when none are configured', () => {
    const ice = new ConnectionIceServers({ stunUrls: [], turnUrls: ['turn:a:3478'], turnSecret: 'k', turnTtlSeconds: 100 });
    const first = ice.extensionJson(0)!;
    expect(JSON.parse(first).iceServers[0].username).toMatch(/^100:/);
    expect(ice.extensionJson(49_000)).toBe(first);
    expect(JSON.parse(ice.extensionJson(50_000)!).iceServers[0].username).toMatch(/^150:/);
    expect(new ConnectionIceServers({ stunUrls: [], turnUrls: [], turnSecret: undefined, turnTtlSeconds: 100 }).extensionJson(0)).toBeUndefined();
  });
});
