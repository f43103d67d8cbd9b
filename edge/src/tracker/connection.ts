import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import type { ConnectionIceServers } from './ice-servers.js';
import { initialRate, type RateState } from '../net/rate-limit.js';
import type { SwarmMember } from './swarm.js';

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
 * The state of one WebSocket: its viewer's locality, its swarm memberships, its rate-limit bucket and the
 * offers relayed to it that it may answer. Small on purpose: an idle connection holds a few hundred bytes here.
 */
export class TrackerConnection {
  /** Memberships of this connection (swarm × peer_id), few by the swarms-per-connection limit. */
  readonly members: SwarmMember<TrackerConnection>[] = [];
  readonly rate: RateState;
  lastMessageAt: number;
  /** Whether the socket answered the last ping. */
  alive = true;
  closed = false;
  /** Whether `socket` is corked until the end of this event-loop turn. */
  corked = false;
  /** This connection's TURN credentials, made at its first announce when the edge hands out TURN. */
  ice: ConnectionIceServers | undefined;
  /** offer_id → who offered it to whom and when, for offers relayed here; created on the first offer. */
  private pending: Map<string, PendingOffer> | undefined;

  constructor(
    readonly ws: WebSocket,
    /** The TCP socket under `ws`, corked while a turn's messages to it accumulate. */
    readonly socket: Socket,
    readonly locality: Locality,
    burst: number,
    now: number,
  ) {
    this.rate = initialRate(burst, now);
    this.lastMessageAt = now;
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

  removeMember(member: SwarmMember<TrackerConnection>): void {
    const index = this.members.indexOf(member);
    if (index >= 0) this.members.splice(index, 1);
  }

  dispose(): void {
    this.closed = true;
    this.pending = undefined;
    this.members.length = 0;
  }
}
