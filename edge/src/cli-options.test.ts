import { describe, expect, it } from 'vitest';
import { parseEdgeCli } from './cli-options.js';
import { resolveEdgeOptions } from './options.js';

describe('shoal-edge command line', () => {
  it('reads flags, then SHOAL_* variables for what the flags leave out', () => {
    const settings = parseEdgeCli(['--port', '9000', '--region', 'eu-west', '--geoip', 'a.mmdb', '--geoip', 'b.mmdb', '--max-offers', '5'], {
      SHOAL_PORT: '1',
      SHOAL_REDIS_URL: 'redis://cache:6379',
      SHOAL_TRUSTED_PROXIES: '10.0.0.0/8, ::1',
      SHOAL_MESSAGES_PER_SECOND: '7.5',
      SHOAL_ALLOWED_ORIGINS: 'https://a.example,https://b.example',
    });
    expect(settings.port).toBe(9000);
    expect(settings.host).toBe('0.0.0.0');
    expect(settings.edge).toMatchObject({
      region: 'eu-west',
      redisUrl: 'redis://cache:6379',
      trustedProxies: ['10.0.0.0/8', '::1'],
      messagesPerSecond: 7.5,
      maxOffersPerAnnounce: 5,
      allowedOrigins: ['https://a.example', 'https://b.example'],
    });
    expect(settings.edge.geoipDatabases).toHaveLength(2);
    expect(settings.edge.geoipDatabases!.every((p) => p.startsWith('/'))).toBe(true);
    expect(() => resolveEdgeOptions(settings.edge)).not.toThrow();
  });

  it('reads the stats report limits, per session and per address', () => {
    const settings = parseEdgeCli(['--stats-reports-per-second', '0.5', '--stats-address-reports-per-second', '2000'], {
      SHOAL_STATS_REPORTS_BURST: '4',
      SHOAL_STATS_ADDRESS_REPORTS_BURST: '9000',
    });
    expect(settings.edge).toMatchObject({ statsReportsPerSecond: 0.5, statsReportsBurst: 4, statsAddressReportsPerSecond: 2000, statsAddressReportsBurst: 9000 });
    expect(() => resolveEdgeOptions(settings.edge)).not.toThrow();
    expect(() => resolveEdgeOptions({ statsAddressReportsPerSecond: 0 })).toThrow('statsAddressReportsPerSecond');
    expect(() => resolveEdgeOptions({ statsAddressReportsBurst: 1.5 })).toThrow('statsAddressReportsBurst');
  });

  it('reads the options of an edge in front of an origin that writes no digests', () => {
    const settings = parseEdgeCli(
      ['--origin', 'http://packager:8080/', '--allow-segment-host', 'cdn.example', '--allow-segment-host', '127.0.0.1:9000', '--digest-wait-ms', '500'],
      { SHOAL_SEGMENT_MAX_AGE: '30' },
    );
    expect(settings.edge).toMatchObject({
      originUrl: 'http://packager:8080',
      allowSegmentHosts: ['cdn.example', '127.0.0.1:9000'],
      digestWaitMs: 500,
      segmentMaxAgeSeconds: 30,
    });
    expect(settings.edge.segmentDigests).toBeUndefined();
    expect(resolveEdgeOptions(settings.edge).segmentDigests).toBe(true);
    expect(parseEdgeCli(['--no-segment-digests'], {}).edge.segmentDigests).toBe(false);
    expect(parseEdgeCli([], { SHOAL_SEGMENT_DIGESTS: 'off', SHOAL_ALLOW_SEGMENT_HOSTS: 'a.example, b.example:81' }).edge).toMatchObject({
      segmentDigests: false,
      allowSegmentHosts: ['a.example', 'b.example:81'],
    });
    expect(() => parseEdgeCli([], { SHOAL_SEGMENT_DIGESTS: 'maybe' })).toThrow('SHOAL_SEGMENT_DIGESTS must be on or off');
    expect(() => resolveEdgeOptions({ allowSegmentHosts: ['http://cdn.example/'] })).toThrow('allowSegmentHosts');
    expect(() => resolveEdgeOptions({ digestWaitMs: -1 })).toThrow('digestWaitMs');
  });

  it('reads the ICE servers to hand out and the matching switch', () => {
    const settings = parseEdgeCli(
      ['--stun-url', 'stun:10.0.0.1:3478', '--stun-url', 'stun:10.0.0.2:3478', '--turn-url', 'turn:10.0.0.1:3478?transport=udp', '--turn-ttl', '600', '--nat-aware-matching', 'off'],
      { SHOAL_TURN_SECRET: 's3cret' },
    );
    expect(settings.edge).toMatchObject({
      stunUrls: ['stun:10.0.0.1:3478', 'stun:10.0.0.2:3478'],
      turnUrls: ['turn:10.0.0.1:3478?transport=udp'],
      turnSecret: 's3cret',
      turnTtlSeconds: 600,
      natAwareMatching: false,
    });
    expect(() => resolveEdgeOptions(settings.edge)).not.toThrow();
    expect(parseEdgeCli([], { SHOAL_STUN_URLS: 'stun:a:3478,stun:b:3478' }).edge.stunUrls).toEqual(['stun:a:3478', 'stun:b:3478']);
    expect(() => parseEdgeCli(['--nat-aware-matching', 'maybe'], {})).toThrow('on or off');
    expect(() => resolveEdgeOptions({ turnUrls: ['turn:a:3478'] })).toThrow('turnSecret');
    expect(() => resolveEdgeOptions({ stunUrls: ['http://a'] })).toThrow('stunUrls');
    expect(() => resolveEdgeOptions({ turnUrls: ['stun:a'], turnSecret: 'x' })).toThrow('turnUrls');
  });

  it('refuses bad values with a readable message', () => {
    expect(() => parseEdgeCli(['--port', '70000'], {})).toThrow('--port must be 0-65535');
    expect(() => parseEdgeCli(['--max-offers', 'many'], {})).toThrow('--max-offers takes a number');
    expect(() => parseEdgeCli(['--frobnicate'], {})).toThrow();
    expect(() => resolveEdgeOptions({ maxOffersPerAnnounce: 0 })).toThrow('maxOffersPerAnnounce');
    expect(() => resolveEdgeOptions({ redisUrl: 'http://x' })).toThrow('redisUrl');
    expect(() => resolveEdgeOptions({ memberTtlMs: 1_000 })).toThrow('memberTtlMs');
  });
});
