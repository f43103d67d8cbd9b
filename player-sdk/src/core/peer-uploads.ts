import { MAX_DATA_CHUNK_BYTES, type HaveState } from '@shoal/protocol';
import type { Clock, TimerHandle } from '../util/clock.js';
import type { PeerChannel } from './peer-channel.js';
import type { SegmentBuffer } from './segment-buffer.js';
import type { PeerUploads } from './upload-policy.js';

/** What uploads need from the swarm: the segments held, the upload policy, a clock. */
export interface UploadHost {
  /** The buffer of a segment this player holds or is loading, if any. */
  segmentFor(segment: number): SegmentBuffer | undefined;
  /** What this player uploads, to whom and how fast (see UploadPolicy). */
  readonly uploadPolicy: PeerUploads;
  readonly clock: Clock;
}

/** Requests one peer may have served at once; more are answered 'absent'. */
export const MAX_UPLOADS_PER_PEER = 4;
/** Implausible requests (a segment sent in full already, one it says it holds, too many at once) before a peer is dropped and banned. */
export const MAX_IMPLAUSIBLE_REQUESTS = 64;
/** Segments remembered per peer as sent in full, to refuse sending them twice. */
const SERVED_MEMORY = 256;

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
 * What this player sends one peer: its requests served from our segment buffers (cut-through while a
 * segment still arrives), a small window in flight beyond its acks, paced by the upload policy; requests no
 * honest player makes are refused, and too many of them close the channel as a protocol fault.
 */
export class UploadsToPeer {
  private readonly uploads = new Map<number, Upload>();
  /** Segments sent in full to this peer (newest last), bounded. */
  private readonly served = new Set<number>();
  /** Requests refused as implausible. */
  private implausibleRequests = 0;

  constructor(
    private readonly channel: PeerChannel,
    private readonly host: UploadHost,
    /** What the peer said it holds of a segment. */
    private readonly peerHolds: (segment: number) => HaveState | undefined,
  ) {}

  get activeUploads(): number {
    return this.uploads.size;
  }

  /** Bytes sent and not acknowledged yet. */
  get inFlight(): number {
    let bytes = 0;
    for (const upload of this.uploads.values()) bytes += upload.sent - upload.acked;
    return bytes;
  }

  /** Bytes still to send. */
  get pendingBytes(): number {
    let bytes = 0;
    for (const upload of this.uploads.values()) bytes += Math.max(0, (upload.buffer.total ?? upload.buffer.received) - upload.sent);
    return bytes;
  }

  /**
   * Why a request is not one an honest player would make, if it is not: the same segment twice (while it is
   * being sent, or after it was sent in full), a segment the peer says it holds itself, or more at once than any player needs.
   */
  private implausible(request: number, segment: number): boolean {
    if (this.served.has(segment) || this.peerHolds(segment) === 'complete' || this.uploads.size >= MAX_UPLOADS_PER_PEER || this.uploads.has(request)) return true;
    for (const upload of this.uploads.values()) if (upload.buffer.segment === segment) return true;
    return false;
  }

  serve(request: number, segment: number, offset: number): void {
    if (this.implausible(request, segment)) {
      this.channel.send({ type: 'absent', request, segment });
      if (++this.implausibleRequests >= MAX_IMPLAUSIBLE_REQUESTS) this.channel.close('protocol: implausible requests');
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

  /** The peer holds `received` bytes of the request's segment: the window moves on. */
  acknowledged(request: number, received: number): void {
    const upload = this.uploads.get(request);
    if (!upload) return; // finished or stopped meanwhile
    const acked = Math.min(received, upload.sent);
    if (acked <= upload.acked) return;
    this.host.uploadPolicy.onAcknowledged(acked - upload.acked);
    upload.acked = acked;
    this.pump(request, upload);
  }

  /** The channel takes data again. */
  resume(): void {
    for (const [request, upload] of this.uploads) this.pump(request, upload);
  }

  private pump(request: number, upload: Upload): void {
    if (upload.timer !== undefined || this.uploads.get(request) !== upload) return;
    const { buffer } = upload;
    if (buffer.status === 'failed' || buffer.received < upload.sent) {
      // Our copy was discarded (bad digest, or our source withdrew it): the peer must get it elsewhere.
      this.stop(request);
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
      this.stop(request);
    }
  }

  /** Stops an upload (cancelled by the peer, finished, or our copy is gone). */
  stop(request: number): void {
    const upload = this.uploads.get(request);
    if (!upload) return;
    this.uploads.delete(request);
    upload.unsubscribe();
    if (upload.timer !== undefined) this.host.clock.clearTimeout(upload.timer);
  }

  stopAll(): void {
    for (const request of [...this.uploads.keys()]) this.stop(request);
  }
}
