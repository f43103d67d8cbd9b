import { createServer, type Server } from 'node:http';
import { listen } from '@shoal/http-object';
import type { Edge } from './app.js';

export interface EdgeServer {
  readonly server: Server;
  /** The URL the server listens on, e.g. `http://127.0.0.1:8000`. */
  readonly url: string;
  /** The tracker's WebSocket URL, e.g. `ws://127.0.0.1:8000/announce`. */
  readonly trackerUrl: string;
  /** Closes the tracker's WebSockets (1001), stops accepting connections, then closes idle keep-alive sockets. Idempotent. */
  close(): Promise<void>;
}

/** How long an idle keep-alive connection stays open. */
export const KEEP_ALIVE_MS = 65_000;

/** Listens with an edge's request and upgrade handlers, on one server. Port 0 picks a free port. */
export async function startEdgeServer(edge: Edge, port: number, host = '127.0.0.1'): Promise<EdgeServer> {
  const server = createServer(edge.handleRequest);
  // Players reuse one connection for a request every few seconds (stats every 5 s, playlists every target
  // duration). Node's default closes idle connections after 5 s, which races with those requests and
  // resets some of them; keep connections longer than load balancers' usual 60 s, so they close first.
  server.keepAliveTimeout = KEEP_ALIVE_MS;
  server.headersTimeout = KEEP_ALIVE_MS + 1_000;
  server.on('upgrade', edge.handleUpgrade);
  const url = await listen(server, port, host);
  const trackerPath = edge.options.trackerPaths.includes('/announce') ? '/announce' : edge.options.trackerPaths[0]!;
  let closing: Promise<void> | undefined;
  return {
    server,
    url,
    trackerUrl: `ws${url.slice('http'.length)}${trackerPath}`,
    close() {
      closing ??= (async () => {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        await edge.close();
        server.closeIdleConnections();
        const timer = setTimeout(() => server.closeAllConnections(), 5_000);
        timer.unref();
        await closed;
        clearTimeout(timer);
      })();
      return closing;
    },
  };
}
