import { createServer } from 'node:http';
import { describe, expect, it } from 'vitest';
import { listen } from './listen.js';

describe('listen', () => {
  it('picks a free port for 0 and returns the URL to reach it at', async () => {
    const server = createServer((_req, res) => res.end('ok'));
    const url = await listen(server, 0, '127.0.0.1');
    try {
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(await (await fetch(url)).text()).toBe('ok');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('reaches a wildcard address over 127.0.0.1', async () => {
    const server = createServer((_req, res) => res.end('ok'));
    const url = await listen(server, 0, '0.0.0.0');
    try {
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('rejects when the port is taken', async () => {
    const first = createServer();
    const url = await listen(first, 0, '127.0.0.1');
    const second = createServer();
    try {
      await expect(listen(second, Number(new URL(url).port), '127.0.0.1')).rejects.toMatchObject({ code: 'EADDRINUSE' });
    } finally {
      await new Promise((resolve) => first.close(resolve));
    }
  });
});
