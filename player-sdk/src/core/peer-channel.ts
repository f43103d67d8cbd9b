import { decodePeerMessage, encodePeerMessage, PeerProtocolError, type PeerMessage } from '@shoal/protocol';
import { TypedEmitter } from '../util/event-emitter.js';

/**
 * What may wait in the data channel's own buffer: about QUEUE_SECONDS of what the link was seen to drain,
 * within bounds. Bytes handed to the channel cannot be taken back, so a deep buffer on a slow uplink is
 * bytes still sent after the receiver cancelled (and fetched the segment elsewhere): wasted upload.
 */
const QUEUE_SECONDS = 0.2;
const MIN_HIGH_WATER_BYTES = 32 * 1024;
const MAX_HIGH_WATER_BYTES = 1024 * 1024;
/** Until a drain rate is measured: a second of a 2 Mbit/s home uplink. */
const INITIAL_HIGH_WATER_BYTES = 256 * 1024;

/** The channel-buffer limit for a link that drains `bytesPerSecond`. */
export function highWaterFor(bytesPerSecond: number): number {
  return Math.round(Math.min(MAX_HIGH_WATER_BYTES, Math.max(MIN_HIGH_WATER_BYTES, bytesPerSecond * QUEUE_SECONDS)));
}

interface PeerChannelEvents {
  message: (message: PeerMessage) => void;
  /** The channel can take more data (after backpressure). */
  drain: () => void;
  close: (reason: string) => void;
}

/**
 * One RTCDataChannel speaking the binary peer protocol: frames are encoded and decoded here, sends are
 * queued while the channel's buffer is above the high-water mark (`bufferedAmountLowThreshold` tells when
 * to resume), and a malformed frame closes the channel.
 */
export class PeerChannel extends TypedEmitter<PeerChannelEvents> {
  private readonly queue: Uint8Array[] = [];
  private closed = false;
  private highWater = INITIAL_HIGH_WATER_BYTES;
  /** Drain rate of the channel's buffer, bytes per second, smoothed; undefined until measured. */
  private drainRate: number | undefined;
  /** When the buffer went over the high-water mark, and how full it was: the start of a drain measurement. */
  private congestedSince: { at: number; buffered: number } | undefined;
  /** Frames received before `start()`, in order; undefined once started. */
  private held: unknown[] | undefined;

  /** `early`: frames that reached the channel before this object existed (see PeerConnector), delivered first. */
  constructor(
    private readonly channel: RTCDataChannel,
    private readonly now: () => number = () => performance.now(),
    early: readonly unknown[] = [],
  ) {
    super();
    this.held = [...early];
    channel.binaryType = 'arraybuffer';
    channel.bufferedAmountLowThreshold = this.highWater / 4;
    channel.onmessage = (event: MessageEvent) => this.receive(event.data);
    channel.onbufferedamountlow = () => this.flush();
    channel.onclose = () => this.close('channel closed');
    channel.onerror = () => this.close('channel error');
  }

  get isOpen(): boolean {
    return !this.closed && this.channel.readyState === 'open';
  }

  /** What the link drains and the buffer limit that follows from it (for stats and tests). */
  get link(): { readonly drainRate: number | undefined; readonly highWater: number } {
    return { drainRate: this.drainRate, highWater: this.highWater };
  }

  /** True while sends are being queued: callers producing bulk data should wait for 'drain'. */
  get congested(): boolean {
    // Once over the high mark, congested until the buffer fell to the low one: nothing is added meanwhile,
    // which is what makes the drain measurable. (Checked here too, in case the low event comes late.)
    if (this.congestedSince && this.channel.bufferedAmount <= this.channel.bufferedAmountLowThreshold) this.measureDrain();
    if (this.queue.length > 0 || this.congestedSince) return true;
    if (this.channel.bufferedAmount <= this.highWater) return false;
    this.congestedSince ??= { at: this.now(), buffered: this.channel.bufferedAmount };
    return true;
  }

  send(message: PeerMessage): void {
    if (this.closed) return;
    const frame = encodePeerMessage(message);
    if (this.congested) {
      this.queue.push(frame);
      return;
    }
    this.write(frame);
  }

  private write(frame: Uint8Array): void {
    try {
      this.channel.send(frame as Uint8Array<ArrayBuffer>);
    } catch {
      this.close('send failed');
    }
  }

  /** The buffer fell below the low mark: nothing was added since it went over the high one, so what left it over that time is the link's rate. */
  private measureDrain(): void {
    const since = this.congestedSince;
    this.congestedSince = undefined;
    if (!since) return;
    const seconds = (this.now() - since.at) / 1000;
    const drained = since.buffered - this.channel.bufferedAmount;
    if (drained <= 0) return;
    // Drained within a few ms, a clock tick says little: the link is at least this fast.
    const rate = drained / Math.max(seconds, 0.01);
    this.drainRate = this.drainRate === undefined ? rate : this.drainRate * 0.7 + rate * 0.3;
    this.highWater = highWaterFor(this.drainRate);
    this.channel.bufferedAmountLowThreshold = this.highWater / 4;
  }

  private flush(): void {
    this.measureDrain();
    while (this.queue.length > 0 && !this.closed && this.channel.bufferedAmount <= this.highWater) {
      this.write(this.queue.shift()!);
    }
    if (this.queue.length === 0 && !this.closed) this.emit('drain');
  }

  /** Starts delivering 'message' events, with the frames held so far first: call once the listener is attached. */
  start(): void {
    const held = this.held;
    this.held = undefined;
    for (const data of held ?? []) this.receive(data);
  }

  private receive(data: unknown): void {
    if (this.closed) return;
    if (this.held) {
      this.held.push(data);
      return;
    }
    if (!(data instanceof ArrayBuffer)) {
      this.close('protocol: text frame');
      return;
    }
    let message: PeerMessage;
    try {
      message = decodePeerMessage(new Uint8Array(data));
    } catch (error) {
      this.close(error instanceof PeerProtocolError ? `protocol: ${error.message}` : 'protocol: undecodable frame');
      return;
    }
    this.emit('message', message);
  }

  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.queue.length = 0;
    this.channel.onmessage = null;
    this.channel.onbufferedamountlow = null;
    try {
      this.channel.close();
    } catch {
      // already closed
    }
    this.emit('close', reason);
    this.removeAllListeners();
  }
}
