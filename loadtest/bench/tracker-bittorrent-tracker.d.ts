// The part of bittorrent-tracker 11 (no types of its own) the tracker benchmark uses: its server.
declare module 'bittorrent-tracker' {
  import type { EventEmitter } from 'node:events';
  import type { Server as HttpServer } from 'node:http';

  export class Server extends EventEmitter {
    constructor(options?: { udp?: boolean; http?: boolean; ws?: boolean; stats?: boolean; peersCacheLength?: number });
    http: HttpServer | null;
    listen(port: number, hostname: string, onListening?: () => void): void;
    close(callback?: (error?: Error | null) => void): void;
  }
}
