import { createServer } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CodedError, jsonErrorBody, sendError, sendJson } from './json-error.js';
import { listen } from './listen.js';

describe('coded JSON errors', () => {
  let url = '';
  const server = createServer((req, res) => {
    if (req.url === '/json') sendJson(res, 202, { counted: true });
    else if (req.url === '/started') {
      res.writeHead(200);
      res.write('partial');
      sendError(res, new CodedError('SHOAL_ERR_LATE', 500, 'too late'));
    } else sendError(res, new CodedError('SHOAL_ERR_TEAPOT', 418, 'short and stout'), { 'Retry-After': '3' });
  });
  beforeAll(async () => {
    url = await listen(server, 0, '127.0.0.1');
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it('writes { error: { code, message } }', () => {
    expect(JSON.parse(jsonErrorBody('SHOAL_ERR_X', 'why'))).toEqual({ error: { code: 'SHOAL_ERR_X', message: 'why' } });
  });

  it('answers with the error status, a no-store JSON body and extra headers', async () => {
    const res = await fetch(`${url}/error`);
    expect(res.status).toBe(418);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('retry-after')).toBe('3');
    expect(await res.json()).toEqual({ error: { code: 'SHOAL_ERR_TEAPOT', message: 'short and stout' } });
  });

  it('answers plain JSON with its length', async () => {
    const res = await fetch(`${url}/json`);
    expect(res.status).toBe(202);
    expect(res.headers.get('content-length')).toBe(String('{"counted":true}'.length));
    expect(await res.json()).toEqual({ counted: true });
  });

  it('cuts a response that has started instead of appending an error to it', async () => {
    await expect(fetch(`${url}/started`).then((res) => res.text())).rejects.toThrow();
  });
});
