import { systemClock } from '../src/util/clock.js';
import type { PeerHost } from '../src/core/peer.js';

/**
 * The RTCDataChannel members the SDK uses (PeerChannel, PeerConnector), without a network: frames the SDK
 * sends go to `remote`, and the test delivers the remote end's frames. It starts `connecting` unless
 * created open.
 */
export class FakeDataChannel extends EventTarget {
  readyState: RTCDataChannelState;
  binaryType = 'arraybuffer';
  bufferedAmount = 0;
  bufferedAmountLowThreshold = 0;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: (() => void) | null = null;
  onerror: (() => void) | null = null;
  onbufferedamountlow: (() => void) | null = null;
  /** The remote end: frames the SDK sends while the channel is open. */
  remote: ((frame: Uint8Array) => void) | undefined;

  constructor(state: 'connecting' | 'open' = 'connecting') {
    super();
    this.readyState = state;
  }

  open(): void {
    this.readyState = 'open';
    this.dispatchEvent(new Event('open'));
  }
  send(frame: Uint8Array): void {
    if (this.readyState === 'open') this.remote?.(frame);
  }
  /** A frame from the remote end. */
  deliver(frame: Uint8Array): void {
    if (this.readyState === 'open') this.onmessage?.({ data: frame.slice().buffer });
  }
  close(): void {
    if (this.readyState === 'closed') return;
    this.readyState = 'closed';
    this.onclose?.();
  }
}

/** A swarm for a Peer under test: it holds nothing, uploads are never held back, the system clock. */
export function testPeerHost(swarmId: string): PeerHost {
  return {
    swarmId,
    segmentFor: () => undefined,
    uploadPolicy: { mayUpload: () => true, waitMs: () => 0, admit: () => 0, onUploaded: () => undefined, onAcknowledged: () => undefined },
    onDiscarded: () => undefined,
    clock: systemClock,
  };
}
