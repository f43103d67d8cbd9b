import type { Clock, TimerHandle } from '../util/clock.js';
import { MAX_DATA_CHUNK_BYTES, PEER_PROTOCOL_VERSION, type HaveEntry, type HaveState, type PeerMessage } from '@shoal/protocol';
import { ShoalError } from './errors.js';
import { TypedEmitter } from '../util/event-emitter.js';
import type { PeerChannel } from './peer-channel.js';
import type { SegmentBuffer } from './segment-buffer.js';
import type { PeerUploads } from './upload-policy.js';

/** Segment states remembered per peer: a live window or a VOD title's worth, never a flood's. */
export const MAX_PEER_HOLDINGS = 1024;

/** Requests one peer may have served at once; more are answered 'absent'. */
export const MAX_UPLOADS_PER_PEER = 4;
/** Implausible requests (a segment sent in full already, one it says it holds, too many at once) before a peer is dropped and banned. */
export const MAX_IMPLAUSIBLE_REQUESTS = 64;
/** Longest a peer's 'busy' keeps it out of our choices, whatever it asks for. */
const MAX_BUSY_MS = 5_000;
/** Segments remembered per peer as sent in full, to refuse sending them twice. */
const SERVED_MEMORY = 256;
/**
 * Longest wait for the peer's hello once our channel is open. Both ends greet as soon as their channel
 * opens, which is within a round trip of each other, so a silent peer is one whose end was closed: after
 * crossed offers one side refuses the connection the other kept, and if that close is lost on the way
 * (a dropped SCTP abort), only ICE consent (about 30 s in Chromium) would end it. Meanwhile the open
 * channel holds the peer's slot and every new connection to that peer is refused as a duplicate.
 */
export const HELLO_TIMEOUT_MS = 5_000;

/** What a peer needs from its swarm to serve requests. */
export interface PeerHost {
  readonly swarmId: string;
  /** The buffer of a segment this player holds or is loading, if any. */
  segmentFor(segment: number): SegmentBuffer | undefined;
  /** What this player uploads, to whom and how fast (see UploadPolicy). */
  readonly uploadPolicy: PeerUploads;
  /** Bytes the peer sent that arrived too late to be used (their request was cancelled or already filled). */
  onDiscarded(bytes: number): void;
  readonly clock: Clock;
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
 * Bytes of one upload in flight beyond what the receiver acknowledged. The WebRTC stack takes far more into
 * its own send buffer than `bufferedAmount` shows (a MiB per channel in node-datachannel): without a window,
 * a slow uplink queues seconds of data, a cancel comes too late, and the player's own requests wait behind
 * it. What is in flight when the receiver cancels arrives for nothing, so the window is small: 32 KiB is
 * 0.26 s on a 1 Mbit/s uplink and allows 320 kB/s per transfer at 100 ms RTT (64 KiB wasted a tenth of a
 * 2 Mbit/s home's upload on cancelled transfers in the network lab).
 */
export const SEND_WINDOW_BYTES = 32 * 1024;

interface Upload {
  readonly buffer: SegmentBuffer;
  sent: number;
  /** What the receiver said it holds (its acks); `sent - acked` is in flight. */
  acked: number;
  timer: TimerHandle | undefined;
  unsubscribe: () => void;
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
  private readonly uploads = new Map<number, Upload>();
  /** Segments sent in full to this peer (newest last), bounded. */
  private readonly served = new Set<number>();
  /** Requests refused as implausible. */
  implausibleRequests = 0;
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
    let bytes = 0;
    for (const upload of this.uploads.values()) bytes += upload.sent - upload.acked;
    return bytes;
  }

  /** Until when (host clock) the peer said its uplink is full. */
  busyUntil = 0;

  constructor(
    readonly id: string,
    private readonly channel: PeerChannel,
    private readonly host: PeerHost,
  ) {
    super();
    channel.on('message', (message) => this.receive(message));
    channel.on('close', (reason) => this.shutdown(reason));
    channel.on('drain', () => {
      for (const [request, upload] of this.uploads) this.pump(request, upload);
    });
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
    return this.uploads.size;
  }

  /** Bytes still to send for the uploads to this peer in progress. */
  get pendingUploadBytes(): number {
    let bytes = 0;
    for (const upload of this.uploads.values()) bytes += Math.max(0, (upload.buffer.total ?? upload.buffer.received) - upload.sent);
    return bytes;
  }

  /** What the peer said it holds for `segment`. */
  has(segment: number): HaveState | undefined {
    return this.holdings.get(segment);
  }

  /** Whether the peer has announced dropping `segment`. */
  retracted(segment: number): boolean {
    return this.retractions.has(segment);
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
        this.serve(message.request, message.segment, message.offset);
        return;
      case 'cancel':
        this.stopUpload(message.request);
        return;
      case 'data':
        this.onData(message.request, message.offset, message.total, message.bytes);
        return;
      case 'ack': {
        const upload = this.uploads.get(message.request);
        if (!upload) return; // finished or stopped meanwhile
        const acked = Math.min(message.received, upload.sent);
        if (acked <= upload.acked) return;
        this.host.uploadPolicy.onAcknowledged(acked - upload.acked);
        upload.acked = acked;
        this.pump(message.request, upload);
        return;
      }
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

  /**
   * Why a request is not one an honest player would make, if it is not: the same segment twice (while it is
   * being sent, or after it was sent in full), a segment the peer says it holds itself, or more at once than any player needs.
   */
  private implausible(request: number, segment: number): boolean {
    if (this.served.has(segment) || this.holdings.get(segment) === 'complete' || this.uploads.size >= MAX_UPLOADS_PER_PEER || this.uploads.has(request)) return true;
    for (const upload of this.uploads.values()) if (upload.buffer.segment === segment) return true;
    return false;
  }

  private serve(request: number, segment: number, offset: number): void {
    if (this.implausible(request, segment)) {
      this.channel.send({ type: 'absent', request, segment });
      if (++this.implausibleRequests >= MAX_IMPLAUSIBLE_REQUESTS) this.close('protocol: implausible requests');
      return;
    }
    const buffer = this.host.segmentFor(segment);
    if (!buffer || buffer.status === 'failed' || !this.host.uploadPolicy.mayUpload(this)) {
      this.channel.send({ type: 'absent', request, segment });
      return;
    }
    const retryMs = this.host.uploadPolicy.admit(Math.max(0, (buffer.total ?? buffer.received) - offset));
    if (retryMs > 0) {
      this.channel.send({ type: 'busy', request, segment, retryMs });
      return;
    }
    const upload: Upload = { buffer, sent: offset, acked: offset, timer: undefined, unsubscribe: () => undefined };
    // Cut-through: keep sending as more bytes of a loading segment arrive.
    upload.unsubscribe = buffer.subscribe(() => this.pump(request, upload));
    this.uploads.set(request, upload);
    this.pump(request, upload);
  }

  private pump(request: number, upload: Upload): void {
    if (upload.timer !== undefined || this.uploads.get(request) !== upload) return;
    const { buffer } = upload;
    if (buffer.status === 'failed' || buffer.received < upload.sent) {
      // Our copy was discarded (bad digest, or our source withdrew it): the peer must get it elsewhere.
      this.stopUpload(request);
      this.channel.send({ type: 'absent', request, segment: buffer.segment });
      return;
    }
    const total = buffer.total;
    while (total !== undefined && upload.sent < buffer.received && upload.sent - upload.acked < SEND_WINDOW_BYTES && !this.channel.congested) {
      const size = Math.min(MAX_DATA_CHUNK_BYTES, buffer.received - upload.sent);
      const wait = this.host.uploadPolicy.waitMs(this, size);
      if (wait > 0) {
        upload.timer = this.host.clock.setTimeout(() => {
          upload.timer = undefined;
          this.pump(request, upload);
        }, wait);
        return;
      }
      this.channel.send({ type: 'data', request, offset: upload.sent, total, bytes: buffer.slice(upload.sent, upload.sent + size) });
      upload.sent += size;
      this.host.uploadPolicy.onUploaded(size);
    }
    if (total !== undefined && upload.sent === total) {
      this.served.add(buffer.segment);
      if (this.served.size > SERVED_MEMORY) this.served.delete(this.served.values().next().value!);
      this.channel.send({ type: 'done', request, total });
      this.stopUpload(request);
    }
  }

  private stopUpload(request: number): void {
    const upload = this.uploads.get(request);
    if (!upload) return;
    this.uploads.delete(request);
    upload.unsubscribe();
    if (upload.timer !== undefined) this.host.clock.clearTimeout(upload.timer);
  }

  close(reason: string): void {
    this.channel.close(reason);
  }

  private shutdown(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.host.clock.clearTimeout(this.helloTimer);
    for (const request of [...this.uploads.keys()]) this.stopUpload(request);
    for (const download of this.downloads.values()) {
      download.reject(new ShoalError('SHOAL_ERR_PEER_GONE', `peer ${this.id} left: ${reason}`));
    }
    this.downloads.clear();
    this.emit('close', reason);
    this.removeAllListeners();
  }
}
