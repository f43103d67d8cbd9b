import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
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
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  let closing: Promise<void> | undefined;
  return {
    server,
    url: `http://${shownHost === '0.0.0.0' || shownHost === '[::]' ? '127.0.0.1' : shownHost}:${address.port}`,
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
