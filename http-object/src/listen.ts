import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Starts `server` listening on `port` (0 picks a free one) and `host`, and resolves with the URL clients
 * reach it at, e.g. `http://127.0.0.1:8080`: a wildcard address is reached over 127.0.0.1, IPv6 is bracketed.
 */
export async function listen(server: Server, port: number, host: string): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const reachable = shownHost === '0.0.0.0' || shownHost === '[::]' ? '127.0.0.1' : shownHost;
  return `http://${reachable}:${address.port}`;
}
