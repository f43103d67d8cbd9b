import { initialRate, type RateState } from '../net/rate-limit.js';
import type { Channel } from './channel.js';
import type { ConnectionIceServers } from './ice-servers.js';

interface PendingOffer {
  readonly from: string;
  readonly to: string;
  readonly at: number;
}

/** Where a connection's viewer is; fixed for the connection's life. */
export interface Locality {
  readonly address: string;
  readonly network: string;
  readonly asn: number | undefined;
  readonly country: string | undefined;
}

/**
 * What the tracker keeps about one client connection: the channel to it, its viewer's locality, its rate-limit
 * bucket and the offers relayed to it that it may answer. Its swarm memberships are the registry's. Small on
 * purpose: an idle connection holds a few hundred bytes here.
 */
export class TrackerConnection {
  readonly rate: RateState;
  closed = false;
  /** This connection's TURN credentials, made at its first announce when the edge hands out TURN. */
  ice: ConnectionIceServers | undefined;
  /** offer_id → who offered it to whom and when, for offers relayed here; created on the first offer. */
  private pending: Map<string, PendingOffer> | undefined;

  constructor(
    readonly channel: Channel,
    readonly locality: Locality,
    burst: number,
    now: number,
  ) {
    this.rate = initialRate(burst, now);
  }

  /** Remembers an offer relayed to this connection, forgetting the oldest beyond `max`. */
  rememberOffer(offerId: string, from: string, to: string, now: number, max: number): void {
    const pending = (this.pending ??= new Map());
    pending.delete(offerId);
    pending.set(offerId, { from, to, at: now });
    if (pending.size > max) pending.delete(pending.keys().next().value!);
  }

  /**
   * Consumes the remembered offer `offerId` if `from` offered it to `to` here within `ttlMs`; false otherwise
   * (an answer nobody asked for).
   */
  takeOffer(offerId: string, from: string, to: string, now: number, ttlMs: number): boolean {
    const offer = this.pending?.get(offerId);
    if (offer === undefined || offer.from !== from || offer.to !== to) return false;
    this.pending!.delete(offerId);
    return now - offer.at <= ttlMs;
  }

  dispose(): void {
    this.closed = true;
    this.pending = undefined;
  }
}
