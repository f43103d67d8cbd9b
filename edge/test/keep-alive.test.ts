import { connect, type Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KEEP_ALIVE_MS } from '../src/server.js';
import { sleep, startTestEdge, type TestEdge } from './helpers.js';

/**
 * Players send a request on one connection every few seconds (stats every 5 s). A server that closes idle
 * connections after 5 s, Node's default, races with them and resets some: k6 saw 2–7 % of 1,000 players'
 * reports fail with "connection reset by peer" on a busy machine. The edge keeps connections open longer.
 */

let edge: TestEdge;
let socket: Socket | undefined;

beforeEach(async () => {
  edge = await startTestEdge();
});

afterEach(async () => {
  socket?.destroy();
  await edge.close();
});

/** Sends one keep-alive GET on the socket and resolves with the status line of the answer. */
function get(client: Socket, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      client.off('end', onEnd);
      resolve(chunk.toString().split('\r\n', 1)[0]!);
    };
    const onEnd = () => {
      client.off('data', onData);
      reject(new Error('the edge closed the connection'));
    };
    client.once('data', onData);
    client.once('end', onEnd);
    client.write(`GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: keep-alive\r\n\r\n`);
  });
}

describe('edge HTTP keep-alive', () => {
  it('keeps an idle connection open past a 5 s reporting interval', async () => {
    expect(KEEP_ALIVE_MS).toBeGreaterThan(60_000);
    const port = Number(new URL(edge.url).port);
    const client = connect(port, '127.0.0.1');
    socket = client;
    await new Promise((resolve) => client.once('connect', resolve));
    expect(await get(client, port)).toBe('HTTP/1.1 200 OK');
    let closed = false;
    client.once('end', () => (closed = true));
    await sleep(6_500);
    expect(closed).toBe(false);
    expect(await get(client, port)).toBe('HTTP/1.1 200 OK');
  });
});
