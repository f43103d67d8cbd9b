import type { TimerHandle } from '../util/clock.js';
import { PEER_PROTOCOL_VERSION, type HaveEntry, type HaveState, type PeerMessage } from '@shoal/protocol';
import { ShoalError } from './errors.js';
import { TypedEmitter } from '../util/event-emitter.js';
import type { PeerChannel } from './peer-channel.js';
import type { SegmentBuffer } from './segment-buffer.js';
import { UploadsToPeer, type UploadHost } from './peer-uploads.js';

/** Segment states remembered per peer: a live window or a VOD title's worth, never a flood's. */
export const MAX_PEER_HOLDINGS = 1024;

/** Longest a peer's 'busy' keeps it out of our choices, whatever it asks for. */
const MAX_BUSY_MS = 5_000;
/**
 * Longest wait for the peer's hello once our channel is open. Both ends greet as soon as their channel
 * opens, which is within a round trip of each other, so a silent peer is one whose end was closed: after
 * crossed offers one side refuses the connection the other kept, and if that close is lost on the way
 * (a dropped SCTP abort), only ICE consent (about 30 s in Chromium) would end it. Meanwhile the open
 * channel holds the peer's slot and every new connection to that peer is refused as a duplicate.
 */
export const HELLO_TIMEOUT_MS = 5_000;

/** What a peer needs from its swarm. */
export interface PeerHost extends UploadHost {
  readonly swarmId: string;
  /** Bytes the peer sent that arrived too late to be used (their request was cancelled or already filled). */
  onDiscarded(bytes: number): void;
}

interface PeerEvents {
  /** The peer's holdings changed. */
  have: (segment: number, state: HaveState) => void;
  ready: () => void;
  /** The peer's first have list arrived: its holdings are known. */
  introduced: () => void;
  close: (reason: string) => void;
}

interface Download {
  readonly segment: number;
  /** What the peer said of its copy when asked: a 'loading' copy is relayed before the peer could verify it. */
  readonly claimed: 'complete' | 'loading';
  readonly buffer: SegmentBuffer;
  readonly startedAt: number;
  readonly startOffset: number;
  lastProgressAt: number;
  resolve(): void;
  reject(error: Error): void;
}

/**
 * A connected remote player: what it holds, what we are downloading from it, what we are uploading to
 * it, and how fast it has been. All I/O goes through its PeerChannel.
 */
export class Peer extends TypedEmitter<PeerEvents> {
  private readonly holdings = new Map<number, HaveState>();
  /** Segments the peer announced 'dropped' for: a peer retracting a copy it relayed, after its own check failed. */
  private readonly retractions = new Set<number>();
  private readonly downloads = new Map<number, Download>();
  /** What we send this peer. */
  private readonly uploads: UploadsToPeer;
  private nextRequest = 1;
  private helloReceived = false;
  private helloTimer: TimerHandle | undefined;
  /** The peer has told us what it holds (its first have list arrived). */
  introduced = false;
  private closed = false;
  /** Bytes per second measured on completed downloads, smoothed; undefined until measured. */
  throughput: number | undefined;
  failures = 0;
  /** Requests in a row for which the peer sent no byte. */
  fruitlessRequests = 0;
  /** Bytes of the uploads in progress sent to this peer and not acknowledged yet. */
  get inFlight(): number {
    return this.uploads.inFlight;
  }

  /** Until when (host clock) the peer said its uplink is full. */
  busyUntil = 0;
  /** The upload rate the peer advertised, bytes per second (0: it uploads nothing); undefined until it did. */
  upload: number | undefined;

  constructor(
    readonly id: string,
    private readonly channel: PeerChannel,
    private readonly host: PeerHost,
  ) {
    super();
    this.uploads = new UploadsToPeer(channel, host, (segment) => this.holdings.get(segment));
    channel.on('message', (message) => this.receive(message));
    channel.on('close', (reason) => this.shutdown(reason));
    channel.on('drain', () => this.uploads.resume());
    channel.send({ type: 'hello', version: PEER_PROTOCOL_VERSION, swarm: host.swarmId });
    // Not a protocol fault (no ban): the peer may well come back over a connection both ends keep.
    this.helloTimer = host.clock.setTimeout(() => this.close('no hello'), HELLO_TIMEOUT_MS);
  }

  /** Starts receiving, frames that came early first: call once listening to this peer's events (it may be ready, or closed, at once). */
  start(): void {
    this.channel.start();
  }

  get ready(): boolean {
    return this.helloReceived && !this.closed;
  }

  get activeDownloads(): number {
    return this.downloads.size;
  }

  get activeUploads(): number {
    return this.uploads.activeUploads;
  }

  /** Bytes still to send for the uploads to this peer in progress. */
  get pendingUploadBytes(): number {
    return this.uploads.pendingBytes;
  }

  /** What the peer said it holds for `segment`. */
  has(segment: number): HaveState | undefined {
    return this.holdings.get(segment);
  }

  /** Whether the peer has announced dropping `segment`. */
  retracted(segment: number): boolean {
    return this.retractions.has(segment);
  }

  /** Tells the peer the upload rate we advertise (bytes per second). */
  tellUpload(upload: number): void {
    if (this.ready) this.channel.send({ type: 'capacity', upload });
  }

  /** Tells the peer what we hold now; `initial` sends the list even when empty, so the peer knows it is complete. */
  announce(entries: readonly HaveEntry[], initial = false): void {
    if ((entries.length > 0 || initial) && this.ready) this.channel.send({ type: 'have', entries });
  }

  /**
   * Downloads `segment` into `buffer` from its current length on. Resolves when the peer says it sent
   * everything; rejects with SHOAL_ERR_PEER_GONE or when the peer has no such segment.
   */
  download(segment: number, buffer: SegmentBuffer): Promise<void> {
    if (!this.ready) return Promise.reject(new ShoalError('SHOAL_ERR_PEER_GONE', `peer ${this.id}: not connected`));
    const request = this.nextRequest++;
    const now = this.host.clock.now();
    return new Promise<void>((resolve, reject) => {
      const claimed = this.holdings.get(segment) === 'complete' ? 'complete' : 'loading';
      this.downloads.set(request, { segment, claimed, buffer, startedAt: now, startOffset: buffer.received, lastProgressAt: now, resolve, reject });
      this.channel.send({ type: 'request', request, segment, offset: buffer.received });
    });
  }

  /** Time of the last byte received for a download of `segment`, to detect stalled transfers. */
  lastProgress(segment: number): number | undefined {
    for (const download of this.downloads.values()) if (download.segment === segment) return download.lastProgressAt;
    return undefined;
  }

  /** Stops a download (we got the bytes elsewhere, or gave up on this peer). */
  cancel(segment: number, reason: Error = new ShoalError('SHOAL_ERR_ABORTED')): void {
    for (const [request, download] of this.downloads) {
      if (download.segment !== segment) continue;
      this.downloads.delete(request);
      this.channel.send({ type: 'cancel', request });
      download.reject(reason);
    }
  }

  private receive(message: PeerMessage): void {
    if (!this.helloReceived) {
      if (message.type !== 'hello' || message.version !== PEER_PROTOCOL_VERSION || message.swarm !== this.host.swarmId) {
        this.close('protocol: bad hello');
        return;
      }
      this.helloReceived = true;
      this.host.clock.clearTimeout(this.helloTimer);
      this.emit('ready');
      return;
    }
    switch (message.type) {
      case 'hello':
        this.close('protocol: second hello');
        return;
      case 'have':
        if (!this.introduced) {
          this.introduced = true;
          this.emit('introduced');
        }
        for (const entry of message.entries) {
          if (entry.state === 'dropped') {
            this.holdings.delete(entry.segment);
            this.retractions.add(entry.segment);
            if (this.retractions.size > 256) this.retractions.delete(this.retractions.values().next().value!);
          } else {
            this.holdings.set(entry.segment, entry.state);
            // Bounded whatever the peer claims: its oldest claims go first (a have flood costs only itself).
            if (this.holdings.size > MAX_PEER_HOLDINGS) this.holdings.delete(this.holdings.keys().next().value!);
          }
          this.emit('have', entry.segment, entry.state);
        }
        return;
      case 'request':
        this.uploads.serve(message.request, message.segment, message.offset);
        return;
      case 'cancel':
        this.uploads.stop(message.request);
        return;
      case 'data':
        this.onData(message.request, message.offset, message.total, message.bytes);
        return;
      case 'ack':
        this.uploads.acknowledged(message.request, message.received);
        return;
      case 'capacity':
        this.upload = message.upload;
        return;
      case 'done': {
        const download = this.downloads.get(message.request);
        if (!download) return; // cancelled meanwhile
        this.downloads.delete(message.request);
        if (download.buffer.received !== message.total || !download.buffer.filled) {
          download.reject(new ShoalError('SHOAL_ERR_PEER_PROTOCOL', `peer ${this.id}: early done`));
          this.failures++;
          return;
        }
        const seconds = Math.max(0.001, (this.host.clock.now() - download.startedAt) / 1000);
        const rate = (download.buffer.received - download.startOffset) / seconds;
        this.throughput = this.throughput === undefined ? rate : this.throughput * 0.7 + rate * 0.3;
        download.resolve();
        return;
      }
      case 'busy': {
        const download = this.downloads.get(message.request);
        if (!download) return;
        this.downloads.delete(message.request);
        this.busyUntil = this.host.clock.now() + Math.min(message.retryMs, MAX_BUSY_MS);
        download.reject(new ShoalError('SHOAL_ERR_PEER_BUSY', `peer ${this.id}: busy`));
        return;
      }
      case 'absent': {
        const download = this.downloads.get(message.request);
        this.holdings.delete(message.segment);
        if (!download) return;
        this.downloads.delete(message.request);
        // Mid-transfer, 'absent' means the peer discarded its copy (it failed verification): what it relayed
        // to us is suspect too.
        if (download.buffer.contributors.has(this.id) && download.buffer.status === 'loading') download.buffer.reset();
        download.reject(new ShoalError('SHOAL_ERR_PEER_GONE', `peer ${this.id}: absent`));
        return;
      }
    }
  }

  private onData(request: number, offset: number, total: number, bytes: Uint8Array): void {
    const download = this.downloads.get(request);
    if (!download) {
      // Late chunks of a cancelled request: the peer's uplink spent them for nothing, which is worth knowing.
      // They also show it was sending: a congested uplink whose first bytes came after we gave up is not a
      // peer that claims segments and never sends them (honest peers behind 2 Mbit/s uplinks were banned so).
      this.host.onDiscarded(bytes.length);
      this.fruitlessRequests = 0;
      return;
    }
    const { buffer } = download;
    if (!buffer.declareTotal(total) || !buffer.append(offset, bytes, 'p2p', { id: this.id, claimed: download.claimed })) {
      this.host.onDiscarded(bytes.length);
      // Another source may have filled the buffer meanwhile; only a contradiction of sizes is the peer's fault.
      this.downloads.delete(request);
      this.channel.send({ type: 'cancel', request });
      download.reject(new ShoalError('SHOAL_ERR_PEER_PROTOCOL', `peer ${this.id}: bytes that do not fit`));
      return;
    }
    download.lastProgressAt = this.host.clock.now();
    // The sender keeps only a window in flight beyond what we acknowledge: its uplink's queue stays short.
    this.channel.send({ type: 'ack', request, received: buffer.received });
  }

  close(reason: string): void {
    this.channel.close(reason);
  }

  private shutdown(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.host.clock.clearTimeout(this.helloTimer);
    this.uploads.stopAll();
    for (const download of this.downloads.values()) {
      download.reject(new ShoalError('SHOAL_ERR_PEER_GONE', `peer ${this.id} left: ${reason}`));
    }
    this.downloads.clear();
    this.emit('close', reason);
    this.removeAllListeners();
  }
}
