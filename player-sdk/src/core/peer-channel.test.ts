import { MAX_DATA_CHUNK_BYTES } from '@shoal/protocol';
import { describe, expect, it } from 'vitest';
import { highWaterFor, PeerChannel } from './peer-channel.js';

/**
 * A data channel over a link of `rate` bytes per second, on a clock the test advances: sends fill its
 * buffer, the link drains it, and it fires bufferedamountlow on crossing the threshold, as browsers do.
 */
class LinkChannel {
  binaryType = 'arraybuffer';
  readyState = 'open';
  bufferedAmount = 0;
  bufferedAmountLowThreshold = 0;
  onmessage: unknown = null;
  onbufferedamountlow: (() => void) | null = null;
  onclose: unknown = null;
  onerror: unknown = null;
  sentBytes = 0;
  clock = 0;

  constructor(private readonly rate: number) {}

  send(frame: Uint8Array): void {
    this.bufferedAmount += frame.length;
    this.sentBytes += frame.length;
  }

  close(): void {
    this.readyState = 'closed';
  }

  /** Advances the clock by `ms`, draining the buffer at the link's rate. */
  advance(ms: number): void {
    this.clock += ms;
    const before = this.bufferedAmount;
    this.bufferedAmount = Math.max(0, this.bufferedAmount - (this.rate * ms) / 1000);
    if (before > this.bufferedAmountLowThreshold && this.bufferedAmount <= this.bufferedAmountLowThreshold) this.onbufferedamountlow?.();
  }
}

/** Sends data chunks whenever the channel is not congested for `seconds`, as an upload does; returns the fullest the link's buffer got after the first `settleSeconds`. */
function upload(rate: number, seconds: number, settleSeconds: number): { channel: PeerChannel; link: LinkChannel; fullest: number } {
  const link = new LinkChannel(rate);
  const channel = new PeerChannel(link as unknown as RTCDataChannel, () => link.clock);
  const chunk = new Uint8Array(MAX_DATA_CHUNK_BYTES);
  let fullest = 0;
  for (let t = 0; t < seconds * 1000; t += 5) {
    while (!channel.congested) channel.send({ type: 'data', request: 1, offset: 0, total: chunk.length, bytes: chunk });
    if (t >= settleSeconds * 1000) fullest = Math.max(fullest, link.bufferedAmount);
    link.advance(5);
  }
  return { channel, link, fullest };
}

describe('PeerChannel buffering', () => {
  it('keeps about 200 ms of the link in the channel buffer, measured from how fast it drains', () => {
    // A 2 Mbit/s home uplink: 250 kB/s, so about 50 kB may wait (the fixed 1 MiB was 4 s of it).
    const { channel, link, fullest } = upload(250_000, 20, 10);
    expect(channel.link.drainRate).toBeGreaterThan(200_000);
    expect(channel.link.drainRate).toBeLessThan(300_000);
    expect(channel.link.highWater).toBe(highWaterFor(channel.link.drainRate!));
    expect(fullest).toBeLessThanOrEqual(channel.link.highWater + MAX_DATA_CHUNK_BYTES + 32);
    expect(fullest).toBeLessThan(100_000);
    // …and the link stays busy: what went out is what it could carry.
    expect(link.sentBytes - link.bufferedAmount).toBeGreaterThan(0.95 * 250_000 * 20);
  });

  it('lets a fast link keep up to 1 MiB in flight', () => {
    const { channel } = upload(50_000_000, 2, 1);
    expect(channel.link.highWater).toBe(1024 * 1024);
  });

  it('bounds the buffer limit both ways', () => {
    expect(highWaterFor(10_000)).toBe(32 * 1024);
    expect(highWaterFor(250_000)).toBe(50_000);
    expect(highWaterFor(1e9)).toBe(1024 * 1024);
  });
});
