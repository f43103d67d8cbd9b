import { encodePeerMessage, PEER_PROTOCOL_VERSION } from '@shoal/protocol';
import { describe, expect, it } from 'vitest';
import { systemClock } from '../util/clock.js';
import { Peer } from './peer.js';
import { PeerChannel } from './peer-channel.js';
import { PeerConnector, type RTCPeerConnectionConstructor } from './peer-connector.js';
import { FakeDataChannel, testPeerHost } from '../../test/fake-data-channel.js';

const SWARM = 'cd'.repeat(20);
const REMOTE = '-SH0001-remote000001';
const hello = encodePeerMessage({ type: 'hello', version: PEER_PROTOCOL_VERSION, swarm: SWARM });
const have = encodePeerMessage({ type: 'have', entries: [{ segment: 7, state: 'complete' }] });

/**
 * An RTCPeerConnection whose setRemoteDescription resolves when the test says so, as on a main thread busy
 * enough that the connection opens and the remote end's first frames arrive before our code runs again.
 */
class SlowRtc extends EventTarget {
  static last: SlowRtc | undefined;
  connectionState: RTCPeerConnectionState = 'new';
  iceGatheringState: RTCIceGatheringState = 'complete';
  localDescription: { type: string; sdp: string } | null = null;
  channel: FakeDataChannel | undefined;
  remoteDescriptionSet: () => void = () => undefined;

  constructor() {
    super();
    SlowRtc.last = this;
  }
  createDataChannel(): FakeDataChannel {
    return (this.channel = new FakeDataChannel());
  }
  async createOffer(): Promise<{ type: 'offer'; sdp: string }> {
    return { type: 'offer', sdp: 'ours' };
  }
  async createAnswer(): Promise<{ type: 'answer'; sdp: string }> {
    return { type: 'answer', sdp: 'ours' };
  }
  async setLocalDescription(description: { type: string; sdp: string }): Promise<void> {
    this.localDescription = description;
  }
  setRemoteDescription(): Promise<void> {
    return new Promise((resolve) => (this.remoteDescriptionSet = resolve));
  }
  close(): void {
    this.connectionState = 'closed';
    this.channel?.close();
  }
}

/** A connector whose channels become Peers, as the engine makes them; records how each peer ended up. */
function connectorWithPeers(): { connector: PeerConnector; peers: Peer[]; closes: string[] } {
  const peers: Peer[] = [];
  const closes: string[] = [];
  const connector = new PeerConnector({
    RTCPeerConnection: SlowRtc as unknown as RTCPeerConnectionConstructor,
    iceServers: [],
    accepts: () => true,
    onChannel: (peerId, channel, close, _offeredBySelf, early) => {
      const peerChannel = new PeerChannel(channel, () => systemClock.now(), early);
      peerChannel.on('close', close);
      const peer = new Peer(peerId, peerChannel, testPeerHost(SWARM));
      peer.on('close', (reason) => closes.push(reason));
      peers.push(peer);
      peer.start();
    },
  });
  return { connector, peers, closes };
}

/**
 * Makes an offer and hands the connector the answer, whose setRemoteDescription stays pending until
 * `finish`: meanwhile the test opens the channel and delivers frames, as a busy main thread lets happen.
 */
async function offerAnsweredLate(connector: PeerConnector): Promise<{ channel: FakeDataChannel; finish: () => Promise<void> }> {
  const [offer] = await connector.createOffers(1);
  const pc = SlowRtc.last!;
  const answered = connector.handleAnswer(REMOTE, offer!.offer_id, { type: 'answer', sdp: 'theirs' });
  pc.channel!.open();
  return {
    channel: pc.channel!,
    finish: async () => {
      pc.remoteDescriptionSet();
      await answered;
    },
  };
}

describe('frames that arrive before a channel is handed over', () => {
  it('reach the peer in order when our offer’s connection opened before our code saw the answer', async () => {
    const { connector, peers, closes } = connectorWithPeers();
    try {
      // The connection opens and the remote end greets before setRemoteDescription's promise comes back to us.
      const { channel, finish } = await offerAnsweredLate(connector);
      channel.deliver(hello);
      await finish();
      expect(peers).toHaveLength(1);
      expect(closes).toEqual([]);
      expect(peers[0]!.ready).toBe(true);
      // What it sends once it heard our hello arrives after it, as the protocol has it.
      channel.deliver(have);
      expect(peers[0]!.has(7)).toBe('complete');
    } finally {
      connector.destroy();
    }
  });

  it('reach the peer when the answering side’s channel delivered frames before it opened for us', async () => {
    const { connector, peers, closes } = connectorWithPeers();
    try {
      const answering = connector.handleOffer(REMOTE, { type: 'offer', sdp: 'theirs' });
      const pc = SlowRtc.last!;
      pc.remoteDescriptionSet();
      expect((await answering)?.type).toBe('answer');
      const channel = new FakeDataChannel();
      pc.dispatchEvent(Object.assign(new Event('datachannel'), { channel }));
      // A browser announces the channel open; here the frame comes first, as a late open event would let it.
      channel.readyState = 'open';
      channel.deliver(hello);
      channel.open();
      expect(peers).toHaveLength(1);
      expect(closes).toEqual([]);
      expect(peers[0]!.ready).toBe(true);
    } finally {
      connector.destroy();
    }
  });

  it('are bounded: a peer that floods before the handover gets a bounded hold, and its bad hello still closes it', async () => {
    const { connector, peers, closes } = connectorWithPeers();
    try {
      const { channel, finish } = await offerAnsweredLate(connector);
      for (let i = 0; i < 10_000; i++) channel.deliver(have);
      await finish();
      expect(peers).toHaveLength(1);
      expect(closes).toEqual(['protocol: bad hello']);
    } finally {
      connector.destroy();
    }
  });
});
