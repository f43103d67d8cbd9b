import { createServer, type Server } from 'node:http';
import { listen } from '@shoal/http-object';
import type { Origin } from './app.js';

export interface OriginServer {
  readonly server: Server;
  /** The URL the server listens on, e.g. `http://127.0.0.1:8080`. */
  readonly url: string;
  /** Stops accepting connections, lets requests in flight finish, then closes idle keep-alive sockets. */
  close(): Promise<void>;
}

/** Listens with an origin's app. Port 0 picks a free port. */
export async function startOriginServer(origin: Origin, port: number, host = '127.0.0.1'): Promise<OriginServer> {
  const server = createServer(origin.app);
  // Encoders keep ingest connections open between segments; outlive their idle gaps.
  server.keepAliveTimeout = 65_000;
  const url = await listen(server, port, host);
  let closing: Promise<void> | undefined;
  return {
    server,
    url,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        // Requests still running after a grace period are cut, so shutdown always ends.
        setTimeout(() => server.closeAllConnections(), 5_000).unref();
      }).then(() => origin.close());
      return closing;
    },
  };
}
