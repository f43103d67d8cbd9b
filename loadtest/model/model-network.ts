import type { VirtualClock } from './virtual-clock.js';

/**
 * NAT behaviour of a viewer's home router, as far as direct WebRTC connections care: `open` (public address
 * or UPnP), `cone` (endpoint-independent mapping: STUN finds a working address), `symmetric` (a new mapping per
 * destination: only a cone or open peer's address can be punched, and two symmetric peers need TURN).
 */
export type NatType = 'open' | 'cone' | 'symmetric';

/** Whether two viewers' NATs let a direct connection through (no TURN in the model). */
export function reachable(a: NatType, b: NatType): boolean {
  if (a === 'open' || b === 'open') return true;
  return !(a === 'symmetric' && b === 'symmetric');
}

export interface HostLink {
  /** Upload rate of the viewer's access link, bytes per second. */
  readonly upBytesPerSecond: number;
  /** Download rate, bytes per second. */
  readonly downBytesPerSecond: number;
  readonly nat: NatType;
  /** Region index: one-way delay between hosts is `delayMs(regionA, regionB)`. */
  readonly region: number;
}

/** A viewer's machine on the model network: its access link, and when each direction is free again. */
export class ModelHost {
  /** When the uplink has sent everything handed to it so far (virtual ms). */
  upFreeAt = 0;
  downFreeAt = 0;
  bytesSent = 0;
  bytesReceived = 0;

  constructor(
    readonly id: number,
    readonly link: HostLink,
  ) {}
}

export interface ModelNetworkOptions {
  /** One-way delay between two regions, ms (same region included). */
  readonly delayMs: (a: number, b: number) => number;
}

/**
 * The wire between viewers: each host's uplink and downlink is a FIFO at its rate (serialisation delay), with
 * a one-way propagation delay between them. Everything is reliable and in order, as SCTP data channels are;
 * queueing is where a full uplink shows.
 */
export class ModelNetwork {
  private readonly hosts: ModelHost[] = [];

  constructor(
    readonly clock: VirtualClock,
    private readonly options: ModelNetworkOptions,
  ) {}

  addHost(link: HostLink): ModelHost {
    if (!(link.upBytesPerSecond > 0 && link.downBytesPerSecond > 0)) throw new RangeError('link rates must be above 0');
    const host = new ModelHost(this.hosts.length, link);
    this.hosts.push(host);
    return host;
  }

  delayMs(a: ModelHost, b: ModelHost): number {
    return this.options.delayMs(a.link.region, b.link.region);
  }

  reachable(a: ModelHost, b: ModelHost): boolean {
    return reachable(a.link.nat, b.link.nat);
  }

  /**
   * Sends `bytes` from one host to another: `departed` runs when the last byte left the sender's uplink (its
   * queue behind everything sent before), `arrived` when it came through the receiver's downlink.
   */
  transmit(from: ModelHost, to: ModelHost, bytes: number, departed: () => void, arrived: () => void): void {
    const now = this.clock.now();
    const departAt = Math.max(now, from.upFreeAt) + (bytes / from.link.upBytesPerSecond) * 1000;
    from.upFreeAt = departAt;
    from.bytesSent += bytes;
    this.clock.setTimeout(() => {
      departed();
      // The downlink is reserved when the bytes are on their way, in the order they left their senders.
      const reachAt = this.clock.now() + this.delayMs(from, to);
      const deliverAt = Math.max(reachAt, to.downFreeAt) + (bytes / to.link.downBytesPerSecond) * 1000;
      to.downFreeAt = deliverAt;
      this.clock.setTimeout(() => {
        to.bytesReceived += bytes;
        arrived();
      }, deliverAt - this.clock.now());
    }, departAt - now);
  }
}
