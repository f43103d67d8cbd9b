import { decodePeerMessage, encodePeerMessage, PeerProtocolError, type PeerMessage } from '@shoal/protocol';
import { TypedEmitter } from './event-emitter.js';

/** Start queueing once this much is buffered in the channel; resume below the low threshold. */
const HIGH_WATER_BYTES = 1024 * 1024;
const LOW_WATER_BYTES = 256 * 1024;

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

  constructor(private readonly channel: RTCDataChannel) {
    super();
    channel.binaryType = 'arraybuffer';
    channel.bufferedAmountLowThreshold = LOW_WATER_BYTES;
    channel.onmessage = (event: MessageEvent) => this.receive(event.data);
    channel.onbufferedamountlow = () => this.flush();
    channel.onclose = () => this.close('channel closed');
    channel.onerror = () => this.close('channel error');
  }

  get isOpen(): boolean {
    return !this.closed && this.channel.readyState === 'open';
  }

  /** True while sends are being queued: callers producing bulk data should wait for 'drain'. */
  get congested(): boolean {
    return this.queue.length > 0 || this.channel.bufferedAmount > HIGH_WATER_BYTES;
  }

  send(message: PeerMessage): void {
    if (this.closed) return;
    const frame = encodePeerMessage(message);
    if (this.queue.length > 0 || this.channel.bufferedAmount > HIGH_WATER_BYTES) {
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

  private flush(): void {
    while (this.queue.length > 0 && !this.closed && this.channel.bufferedAmount <= HIGH_WATER_BYTES) {
      this.write(this.queue.shift()!);
    }
    if (this.queue.length === 0 && !this.closed) this.emit('drain');
  }

  private receive(data: unknown): void {
    if (this.closed) return;
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
