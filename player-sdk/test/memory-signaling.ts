import type { Signaling, SignalingHandlers, SignalingSession } from '../src/signaling/signaling.js';

/**
 * An in-process stand-in for the tracker: relays each announced offer to one other member of the swarm
 * and routes answers back by offer id, like a WebTorrent tracker. For tests of the peer machinery that
 * should not depend on the edge; the edge itself is exercised by the integration tests.
 */
export class MemorySignalingHub {
  private readonly swarms = new Map<string, Map<string, SignalingHandlers>>();
  relayedOffers = 0;
  private cursor = 0;

  signaling(): Signaling {
    const joined: { infoHash: string; peerId: string }[] = [];
    return {
      join: (infoHash, peerId, handlers): SignalingSession => {
        let members = this.swarms.get(infoHash);
        if (!members) {
          members = new Map();
          this.swarms.set(infoHash, members);
        }
        members.set(peerId, handlers);
        joined.push({ infoHash, peerId });
        return {
          announce: (offers) => {
            const others = [...members.keys()].filter((id) => id !== peerId);
            // Like a tracker's announce reply: how many viewers the swarm has.
            setTimeout(() => members.get(peerId)?.onSwarmSize?.(members.size), 0);
            // Like a tracker choosing peers for the offers: here in turn, so that offers reach everyone.
            const start = this.cursor++;
            offers.forEach((offer, i) => {
              if (i >= others.length) return;
              const target = others[(start + i) % others.length]!;
              this.relayedOffers++;
              setTimeout(() => members.get(target)?.onOffer(peerId, offer.offer_id, offer.offer), 0);
            });
          },
          answer: (toPeerId, offerId, answer) => {
            setTimeout(() => members.get(toPeerId)?.onAnswer(peerId, offerId, answer), 0);
          },
          leave: () => members.delete(peerId),
        };
      },
      destroy: () => {
        for (const { infoHash, peerId } of joined) this.swarms.get(infoHash)?.delete(peerId);
      },
    };
  }
}
