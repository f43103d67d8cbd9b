import { describe, expect, it } from 'vitest';
import { swarmKeyOf, swarmPathOf } from './swarm-key.js';

/** Viewers of one rendition get different URLs from real CDNs; they must still meet in one swarm. */

const same = (urls: readonly string[], swarmId?: Parameters<typeof swarmKeyOf>[1]): void => {
  const keys = new Set(urls.map((url) => swarmKeyOf(url, swarmId)));
  expect([...keys]).toHaveLength(1);
};

describe('swarm keys from real CDN URLs', () => {
  it('ignore tokenised query strings and fragments', () => {
    same([
      'https://cdn.example/live/news/720p/index.m3u8?token=a1b2c3&expires=1700000000',
      'https://cdn.example/live/news/720p/index.m3u8?token=zzz999&expires=1700000555&viewer=42',
      'https://cdn.example/live/news/720p/index.m3u8',
      'https://cdn.example/live/news/720p/index.m3u8#t=10',
    ]);
    expect(swarmKeyOf('https://cdn.example/live/news/720p/index.m3u8?token=a', undefined)).toBe('/live/news/720p/index.m3u8');
  });

  it('ignore per-viewer and per-node hostnames, ports and schemes', () => {
    same([
      'https://v-8f3a2c.cdn.example/live/news/720p/index.m3u8',
      'https://v-19bb04.cdn.example/live/news/720p/index.m3u8',
      'https://edge-2.eu.example:8443/live/news/720p/index.m3u8',
      'http://10.0.0.7/live/news/720p/index.m3u8',
    ]);
  });

  it('ignore signed path segments written as name=value, and path parameters', () => {
    same([
      'https://cdn.example/bcdn_token=Yz9kQm&expires=1700000000/live/news/720p/index.m3u8',
      'https://cdn.example/bcdn_token=Qq1Ww2&expires=1700000999/live/news/720p/index.m3u8',
      'https://cdn.example/hdnts=exp=1700000000~acl=%2F*~hmac=ab12/live/news/720p/index.m3u8',
      'https://cdn.example/hdnts%3Dexp%3D1700000000~hmac%3Dcd34/live/news/720p/index.m3u8',
      'https://cdn.example/live/news/720p/index.m3u8;jsessionid=0AF3C2',
      'https://cdn.example/live;hdntl=exp=1~hmac=9/news/720p/index.m3u8',
    ]);
  });

  it('keep renditions and streams apart', () => {
    const keys = new Set(
      [
        'https://cdn.example/live/news/720p/index.m3u8?token=a',
        'https://cdn.example/live/news/480p/index.m3u8?token=a',
        'https://cdn.example/live/sport/720p/index.m3u8?token=a',
        'https://cdn.example/live/123456789/index.m3u8',
        'https://cdn.example/live/987654321/index.m3u8',
        'https://cdn.example/live/9f86d081884c7d659a2feaa0c55ad015/index.m3u8',
      ].map((url) => swarmKeyOf(url, undefined)),
    );
    expect(keys.size).toBe(6);
  });

  it('put an explicit swarmId string before the path, keeping sites on one tracker apart', () => {
    expect(swarmKeyOf('https://a.example/live/index.m3u8?t=1', 'site-a')).toBe('site-a|/live/index.m3u8');
    expect(swarmKeyOf('https://b.example/live/index.m3u8', 'site-b')).not.toBe(swarmKeyOf('https://a.example/live/index.m3u8', 'site-a'));
    same(['https://v1.a.example/live/index.m3u8?t=1', 'https://v2.a.example/live/index.m3u8?t=2'], 'site-a');
  });

  it('take a swarmId function for signatures that are bare path segments', () => {
    const signed = [
      'https://cdn.example/s/9f86d081884c7d659a2feaa0c55ad015/1700000000/live/news/720p/index.m3u8',
      'https://cdn.example/s/0c8a1c4e5d8b2a7f3e6d9c0b1a2f3e4d/1700000321/live/news/720p/index.m3u8',
    ];
    // By default they split: a bare signature looks like a stream name.
    expect(new Set(signed.map((url) => swarmKeyOf(url, undefined))).size).toBe(2);
    const unsign = (url: string): string => new URL(url).pathname.replace(/^\/s\/[^/]+\/[^/]+/, '');
    same(signed, unsign);
    expect(swarmKeyOf(signed[0]!, unsign)).toBe('/live/news/720p/index.m3u8');
  });

  it('keep the path of a URL with nothing to remove', () => {
    expect(swarmPathOf('https://cdn.example/')).toBe('/');
    expect(swarmPathOf('https://cdn.example/vod/film/index.m3u8')).toBe('/vod/film/index.m3u8');
    expect(swarmPathOf('https://cdn.example/a=%ZZ/vod/x.m3u8')).toBe('/vod/x.m3u8');
  });
});
