import type { SessionDescription, ShoalAnnounceExtension, TrackerOffer } from '@shoal/protocol';

/** What a swarm hears from the tracker. */
export interface SignalingHandlers {
  onOffer(fromPeerId: string, offerId: string, offer: SessionDescription): void;
  onAnswer(fromPeerId: string, offerId: string, answer: SessionDescription): void;
  /** Viewers in the swarm, this player included, when the tracker says: no offers are made beyond them. */
  onSwarmSize?(members: number): void;
  /**
   * Every announce reply: the ICE servers the tracker handed out (a Shoal edge's extension), or undefined
   * when it handed out none (any other tracker).
   */
  onIceServers?(servers: readonly RTCIceServer[] | undefined): void;
  /**
   * The connection to the tracker (re)opened. Offers made while it was down were not sent: announce now
   * with fresh ones. Without this handler the client announces the swarm without offers.
   */
  onConnected?(): void;
}

/** One swarm's membership at the tracker. */
export interface SignalingSession {
  announce(offers: readonly TrackerOffer[], extension?: ShoalAnnounceExtension): void;
  answer(toPeerId: string, offerId: string, answer: SessionDescription): void;
  leave(): void;
}

/**
 * The tracker as the engine sees it: one connection shared by every swarm the player joins. The default
 * implementation speaks the WebTorrent tracker protocol over WebSocket; tests may supply another.
 */
export interface Signaling {
  join(infoHash: string, peerId: string, handlers: SignalingHandlers): SignalingSession;
  destroy(): void;
}
