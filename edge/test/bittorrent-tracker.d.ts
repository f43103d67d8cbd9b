// The parts of bittorrent-tracker 11 (no types of its own) that the interop tests use.
declare module 'bittorrent-tracker' {
  import type { EventEmitter } from 'node:events';
  import type { Server as HttpServer } from 'node:http';

  export interface ClientOptions {
    infoHash: string | Uint8Array;
    peerId: string | Uint8Array;
    announce: string | string[];
    port: number;
    rtcConfig?: { iceServers?: unknown[] };
    getAnnounceOpts?: () => Record<string, unknown>;
    wrtc?: unknown;
  }

  /** A simple-peer instance, as emitted with 'peer'. */
  export interface SimplePeer extends EventEmitter {
    id: string;
    connected: boolean;
    /** True for the peer that made the offer. */
    initiator: boolean;
    send(data: string | Uint8Array): void;
    destroy(): void;
  }

  export class Client extends EventEmitter {
    constructor(options: ClientOptions);
    peerId: string;
    infoHash: string;
    start(options?: Record<string, unknown>): void;
    stop(options?: Record<string, unknown>): void;
    complete(options?: Record<string, unknown>): void;
    update(options?: Record<string, unknown>): void;
    scrape(options?: Record<string, unknown>): void;
    destroy(callback?: (error?: Error | null) => void): void;
    on(event: 'peer', listener: (peer: SimplePeer) => void): this;
    on(event: 'update' | 'scrape', listener: (data: { complete: number; incomplete: number; infoHash: string; announce: string }) => void): this;
    on(event: 'warning' | 'error', listener: (error: Error) => void): this;
  }

  export interface ServerOptions {
    udp?: boolean;
    http?: boolean;
    ws?: boolean | Record<string, unknown>;
    stats?: boolean;
    trustProxy?: boolean;
    interval?: number;
  }

  export class Server extends EventEmitter {
    constructor(options?: ServerOptions);
    http: HttpServer | null;
    torrents: Record<string, unknown>;
    listen(port: number, hostname: string, onListening?: () => void): void;
    close(callback?: (error?: Error | null) => void): void;
  }

  export default Client;
}
