import type { ShoalAnnounceExtension } from '@shoal/protocol';
import type { TimerHandle } from '../util/clock.js';
import type { Signaling, SignalingSession } from '../signaling/signaling.js';
import type { ConnectionOutcomes } from './connection-outcomes.js';
import { keepsConnection } from './glare.js';
import type { EngineOptions } from './options.js';
import { PeerChannel } from './peer-channel.js';
import { PeerConnector } from './peer-connector.js';
import type { Swarm } from './swarm.js';

/** What a swarm's link needs from the engine: who we are, whom we refuse, the ICE servers, where faults go. */
export interface SwarmLinkHost {
  readonly peerId: string;
  readonly options: EngineOptions;
  isBanned(peerId: string): boolean;
  /** ICE servers for new connections; undefined until known (offers wait for them). */
  iceServers(): readonly RTCIceServer[] | undefined;
  /** The tracker's announce reply said which ICE servers to use (undefined: it hands out none). */
  onIceServers(servers: readonly RTCIceServer[] | undefined): void;
  /** Where playback is, for the announce's `shoal` extension (empty when unknown). */
  playbackExtension(): Pick<ShoalAnnounceExtension, 'position' | 'playing'>;
  fault(where: string, error: unknown): void;
}

/**
 * One swarm's way to the other players: its membership at the tracker, the offers it announces and the
 * offers it answers (PeerConnector), and the channels that open, handed to the swarm as peers.
 */
export class SwarmLink {
  readonly connector: PeerConnector;
  private readonly session: SignalingSession;
  private readonly timer: TimerHandle;
  /** Viewers in the swarm as the tracker last said, this player included. */
  private members: number | undefined;
  /** Per connected peer: whether its connection is the one both ends keep when offers crossed. */
  private readonly kept = new Map<string, boolean>();
  private closed = false;

  constructor(
    private readonly swarm: Swarm,
    infoHash: string,
    RTC: NonNullable<EngineOptions['RTCPeerConnection']>,
    signaling: Signaling,
    private readonly outcomes: ConnectionOutcomes,
    private readonly host: SwarmLinkHost,
  ) {
    const { options, peerId } = host;
    const { kept } = this;
    this.connector = new PeerConnector({
      RTCPeerConnection: RTC,
      iceServers: () => host.iceServers() ?? [],
      onAttempt: (remote, pc) => outcomes.watch(remote, pc),
      onGiveUp: (pc) => outcomes.gaveUp(pc),
      maxConnecting: options.maxConnectingPeers,
      connectTimeoutMs: options.connectTimeoutMs,
      clock: options.clock,
      accepts: (remote) => remote !== peerId && !host.isBanned(remote) && !swarm.hasPeer(remote) && swarm.peerIds().length < options.maxPeers,
      // Crossed offers: the connection both ends agree on replaces the other one, whichever opened first.
      replaces: (remote, offeredBySelf) =>
        swarm.hasPeer(remote) && !host.isBanned(remote) && kept.get(remote) === false && keepsConnection(peerId, remote, offeredBySelf),
      onChannel: (remote, channel, close, offeredBySelf, early) => {
        if (swarm.hasPeer(remote)) swarm.disconnect(remote, 'replaced by the crossed connection both ends keep');
        kept.set(remote, keepsConnection(peerId, remote, offeredBySelf));
        const peerChannel = new PeerChannel(channel, () => options.clock.now(), early);
        peerChannel.on('close', close);
        swarm.addPeer(remote, peerChannel);
      },
    });
    const session = signaling.join(infoHash, peerId, {
      onConnected: () => this.announce(),
      onSwarmSize: (size) => (this.members = size),
      onIceServers: (servers) => host.onIceServers(servers),
      onOffer: (from, offerId, offer) => {
        this.connector.handleOffer(from, offer).then(
          (answer) => answer && session.answer(from, offerId, answer),
          (error: unknown) => host.fault('answer', error),
        );
      },
      onAnswer: (from, offerId, answer) => this.connector.handleAnswer(from, offerId, answer).catch((error: unknown) => host.fault('offer', error)),
    });
    this.session = session;
    swarm.on('peer-disconnected', (remote) => {
      outcomes.forget(remote);
      if (!swarm.hasPeer(remote)) kept.delete(remote);
    });
    this.announce();
    this.timer = options.clock.setInterval(() => this.announce(), options.announceIntervalSeconds * 1000);
  }

  /** Announces now, with offers for the room this player has (none while the ICE servers are unknown). */
  announce(): void {
    this.announceWithOffers().catch((error: unknown) => this.host.fault('announce', error));
  }

  private async announceWithOffers(): Promise<void> {
    if (this.host.iceServers() === undefined) {
      // Join without offers; the reply brings the ICE servers, and offers follow at once.
      this.session.announce([], this.extension());
      return;
    }
    // Offers only for room this player has and for peers it has yet to meet: each costs a connection
    // (and, behind NATs, a TURN allocation) whether anyone answers it or not. Offers in flight do not
    // count as met: the tracker may hand them to peers already connected, who never answer.
    const { options } = this.host;
    const peers = this.swarm.peerIds().length;
    const unmet = this.members === undefined ? Infinity : this.members - 1 - peers;
    const wanted = Math.min(options.offersPerAnnounce, options.maxPeers - peers - this.connector.counts.connecting, unmet);
    const offers = wanted > 0 ? await this.connector.createOffers(wanted) : [];
    if (!this.closed) this.session.announce(offers, this.extension());
  }

  private extension(): ShoalAnnounceExtension {
    return { v: 1, ...this.host.playbackExtension(), ...this.outcomes.takeExtension() };
  }

  /** Leaves the swarm at the tracker and closes every connection of it. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.host.options.clock.clearInterval(this.timer);
    this.outcomes.destroy();
    this.session.leave();
    this.connector.destroy();
  }
}
