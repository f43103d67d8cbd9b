import { createServer } from 'node:http';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listen } from './listen.js';
import { serveObject, type PublishedObject } from './serve-object.js';

const bytes = Buffer.from('0123456789');
const base = { kind: 'segment', size: bytes.length, etag: '"v1"', lastModified: new Date('2026-01-01T10:00:00Z'), contentType: 'video/mp2t', cacheControl: 'max-age=60' } as const;
const inMemory: PublishedObject = { ...base, body: bytes };
const onDisk: PublishedObject = { ...base, body: (start, end) => Readable.from([bytes.subarray(start, end + 1)]) };

describe('serveObject', () => {
  let url = '';
  let counted = 0;
  const server = createServer((req, res) => serveObject(req, res, req.url === '/disk' ? onDisk : inMemory, (n) => (counted += n)));
  beforeAll(async () => {
    url = await listen(server, 0, '127.0.0.1');
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it('serves the whole object with its validators, from memory or a stream', async () => {
    for (const path of ['/memory', '/disk']) {
      counted = 0;
      const res = await fetch(`${url}${path}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('etag')).toBe('"v1"');
      expect(res.headers.get('last-modified')).toBe(base.lastModified.toUTCString());
      expect(res.headers.get('accept-ranges')).toBe('bytes');
      expect(res.headers.get('content-type')).toBe('video/mp2t');
      expect(await res.text()).toBe('0123456789');
      expect(counted).toBe(10);
    }
  });

  it('answers a single Range with 206 and an unsatisfiable one with 416', async () => {
    const partial = await fetch(`${url}/disk`, { headers: { Range: 'bytes=2-4' } });
    expect(partial.status).toBe(206);
    expect(partial.headers.get('content-range')).toBe('bytes 2-4/10');
    expect(await partial.text()).toBe('234');
    const beyond = await fetch(`${url}/memory`, { headers: { Range: 'bytes=20-' } });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get('content-range')).toBe('bytes */10');
  });

  it('answers 304 to a current conditional request, and ignores a Range whose If-Range is stale', async () => {
    expect((await fetch(`${url}/memory`, { headers: { 'If-None-Match': '"v1"' } })).status).toBe(304);
    const stale = await fetch(`${url}/memory`, { headers: { Range: 'bytes=0-1', 'If-Range': '"v0"' } });
    expect(stale.status).toBe(200);
    expect(await stale.text()).toBe('0123456789');
  });

  it('answers HEAD with the length and no body', async () => {
    counted = 0;
    const res = await fetch(`${url}/memory`, { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe('10');
    expect(counted).toBe(0);
  });
});
