import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

/**
 * One concern of the edge's HTTP server (tracker, metrics and health, the caching proxy, stats ingest).
 * The server offers each request and upgrade to its modules in order; the first that returns true owns it.
 */
export interface EdgeModule {
  readonly name: string;
  handleRequest?(req: IncomingMessage, res: ServerResponse): boolean;
  handleUpgrade?(req: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  /** Releases the module's sockets and timers. Idempotent. */
  close?(): Promise<void>;
}
