import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answerPreflight, CorsAllowList, OBJECT_EXPOSED_HEADERS, writeCorsHeaders } from './cors.js';
import { listen } from './listen.js';

describe('CorsAllowList', () => {
  it('allows any origin, with or without an Origin header, for *', () => {
    const any = new CorsAllowList(['*']);
    expect(any.any).toBe(true);
    expect(any.allows('https://player.example')).toBe(true);
    expect(any.allows(undefined)).toBe(true);
  });

  it('allows only the listed origins otherwise, and no request without Origin', () => {
    const listed = new CorsAllowList(['https://player.example']);
    expect(listed.any).toBe(false);
    expect(listed.allows('https://player.example')).toBe(true);
    expect(listed.allows('https://evil.example')).toBe(false);
    expect(listed.allows(undefined)).toBe(false);
    expect(listed.allows('')).toBe(false);
  });
});

describe('writeCorsHeaders and answerPreflight', () => {
  const lists = { any: new CorsAllowList(['*']), listed: new CorsAllowList(['https://player.example']) };
  let url = '';
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const list = req.url === '/any' ? lists.any : lists.listed;
    res.setHeader('Vary', 'Accept-Encoding');
    const allowed = writeCorsHeaders(req, res, list, req.url === '/bare' ? undefined : OBJECT_EXPOSED_HEADERS);
    if (req.method === 'OPTIONS') answerPreflight(res, 'GET, OPTIONS', 'Range');
    else res.writeHead(200, { 'X-Allowed': String(allowed) }).end();
  });
  beforeAll(async () => {
    url = await listen(server, 0, '127.0.0.1');
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it('sends * for any origin, without Vary: Origin', async () => {
    const res = await fetch(`${url}/any`, { headers: { Origin: 'https://player.example' } });
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-expose-headers')).toBe(OBJECT_EXPOSED_HEADERS);
    expect(res.headers.get('vary')).toBe('Accept-Encoding');
    expect(res.headers.get('x-allowed')).toBe('true');
  });

  it('echoes a listed origin, and varies by Origin whether or not it is listed', async () => {
    const listed = await fetch(`${url}/listed`, { headers: { Origin: 'https://player.example' } });
    expect(listed.headers.get('access-control-allow-origin')).toBe('https://player.example');
    expect(listed.headers.get('vary')).toBe('Accept-Encoding, Origin');
    const other = await fetch(`${url}/listed`, { headers: { Origin: 'https://evil.example' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    expect(other.headers.get('access-control-expose-headers')).toBeNull();
    expect(other.headers.get('vary')).toBe('Accept-Encoding, Origin');
    expect(other.headers.get('x-allowed')).toBe('false');
  });

  it('exposes no headers when none are given', async () => {
    const res = await fetch(`${url}/bare`, { headers: { Origin: 'https://player.example' } });
    expect(res.headers.get('access-control-allow-origin')).toBe('https://player.example');
    expect(res.headers.get('access-control-expose-headers')).toBeNull();
  });

  it('answers preflights with 204, the methods and headers, cached for ten minutes', async () => {
    const res = await fetch(`${url}/listed`, { method: 'OPTIONS', headers: { Origin: 'https://player.example', 'Access-Control-Request-Method': 'GET' } });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-methods')).toBe('GET, OPTIONS');
    expect(res.headers.get('access-control-allow-headers')).toBe('Range');
    expect(res.headers.get('access-control-max-age')).toBe('600');
  });
});
