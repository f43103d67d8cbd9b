import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ShoalEngine } from '../src/core/engine.js';

/**
 * A page on plain http (not a secure context) has no `crypto.subtle`, which swarm ids and digests need: the
 * engine says so and plays over HTTP, instead of failing every segment load.
 */

let server: Server;
let base: string;
const SEGMENT = new Uint8Array(50_000).fill(7);

beforeAll(async () => {
  server = createServer((_req, res) => res.writeHead(200, { 'Content-Type': 'video/mp2t' }).end(SEGMENT));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  vi.unstubAllGlobals();
  await new Promise((resolve) => server.close(resolve));
});

describe('an insecure context', () => {
  it('loads segments over HTTP with a warning when Web Crypto is missing', async () => {
    const nodeCrypto = await import('node:crypto');
    vi.stubGlobal('crypto', { getRandomValues: <T extends ArrayBufferView>(array: T) => nodeCrypto.getRandomValues(array) });
    expect((globalThis as { crypto: { subtle?: unknown } }).crypto.subtle).toBeUndefined();
    // WebRTC and a tracker are there: only Web Crypto is missing.
    class IdleSocket {
      readyState = 0;
      close(): void {}
    }
    const engine = new ShoalEngine({ trackerUrl: 'ws://127.0.0.1:9/announce', WebSocket: IdleSocket as never, RTCPeerConnection: class {} as never });
    const warnings: string[] = [];
    engine.on('warning', (error) => warnings.push(error.message));
    try {
      const loaded = await engine.loadSegment(`${base}/live/a/index.m3u8`, { sequence: 1, url: `${base}/live/a/1.ts`, duration: 2 }, performance.now() + 5_000);
      expect(loaded.bytes.length).toBe(SEGMENT.length);
      expect(loaded.bytesFrom).toEqual({ http: SEGMENT.length, p2p: 0 });
      expect(warnings.some((w) => w.includes('Web Crypto'))).toBe(true);
    } finally {
      engine.destroy();
      vi.unstubAllGlobals();
    }
  });
});
