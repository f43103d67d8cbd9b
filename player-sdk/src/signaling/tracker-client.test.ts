import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { Client as TorrentClient, Server as TorrentServer, type SimplePeer } from 'bittorrent-tracker';
import { randomTrackerId, trackerIdFromHex, trackerIdToHex, type SessionDescription } from '@shoal/protocol';
import { onceOf } from '../../../test-support/events.js';
import { TrackerClient, type TrackerClientEvents, type WebSocketConstructor } from './tracker-client.js';

// Our SDK-side tracker client against the real bittorrent-tracker server (npm), with real WebRTC offers and
// answers from node-datachannel (through webrtc-polyfill, the implementation simple-peer uses in Node).

type Rtc = { RTCPeerConnection: typeof RTCPeerConnection };
let rtc: Rtc;
let server: TorrentServer;
let url: string;
const cleanups: (() => void)[] = [];

beforeAll(async () => {
  const polyfill = 'webrtc-polyfill';
  rtc = (await import(polyfill)) as Rtc;
  server = new TorrentServer({ udp: false, http: false, ws: true, stats: false });
  server.on('warning', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `ws://127.0.0.1:${(server.http!.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) cleanup();
  await new Promise<void>((resolve) => server?.close(() => resolve()));
});

const once = onceOf<TrackerClientEvents>();

function sdkClient(): TrackerClient {
  const client = new TrackerClient({ url, WebSocket: WebSocket as unknown as WebSocketConstructor });
  cleanups.push(() => client.destroy());
  return client;
}

/** Waits until ICE gathering is over, so the SDP carries its candidates (no trickle on the tracker). */
async function gathered(pc: RTCPeerConnection): Promise<SessionDescription> {
  for (let i = 0; i < 100 && pc.iceGatheringState !== 'complete'; i++) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 50));
  const description = pc.localDescription!;
  return { type: description.type as 'offer' | 'answer', sdp: description.sdp };
}

function peerConnection(): RTCPeerConnection {
  const pc = new rtc.RTCPeerConnection({ iceServers: [] });
  cleanups.push(() => pc.close());
  return pc;
}

function channelOpen(channel: RTCDataChannel): Promise<RTCDataChannel> {
  return new Promise((resolve) => {
    if (channel.readyState === 'open') resolve(channel);
    else channel.onopen = () => resolve(channel);
  });
}

function nextMessage(channel: RTCDataChannel): Promise<string> {
  return new Promise((resolve) => {
    channel.onmessage = (event: MessageEvent) => resolve(typeof event.data === 'string' ? event.data : Buffer.from(event.data as ArrayBuffer).toString());
  });
}

describe('TrackerClient against bittorrent-tracker\'s server', () => {
  it('relays a real offer to another SDK client and routes its answer back: the data channel opens', async () => {
    const infoHash = randomTrackerId();
    const [idA, idB] = [randomTrackerId('-SH0001-'), randomTrackerId('-SH0001-')];
    const a = sdkClient();
    const b = sdkClient();

    // B answers whatever it is offered.
    const bChannel = new Promise<RTCDataChannel>((resolveChannel) => {
      const session = b.join(infoHash, idB, {
        onOffer(from, offerId, offer) {
          void (async () => {
            const pc = peerConnection();
            pc.ondatachannel = (event) => resolveChannel(event.channel);
            await pc.setRemoteDescription(offer);
            await pc.setLocalDescription(await pc.createAnswer());
            session.answer(from, offerId, await gathered(pc));
          })();
        },
        onAnswer() {},
      });
      void once(b, 'connect').then(() => session.announce([]));
    });
    const bJoined = once(b, 'update');
    await bJoined;

    // A offers.
    const pcA = peerConnection();
    const channelA = pcA.createDataChannel('shoal');
    await pcA.setLocalDescription(await pcA.createOffer());
    const offer = await gathered(pcA);
    const offerId = randomTrackerId();
    const answered = new Promise<{ from: string; offerId: string }>((resolve) => {
      const session = a.join(infoHash, idA, {
        onOffer() {},
        onAnswer(from, answeredOfferId, answer) {
          void pcA.setRemoteDescription(answer).then(() => resolve({ from, offerId: answeredOfferId }));
        },
      });
      void once(a, 'connect').then(() => session.announce([{ offer_id: offerId, offer }]));
    });
    expect(await answered).toEqual({ from: idB, offerId });

    const [openA, openB] = await Promise.all([channelOpen(channelA), bChannel.then(channelOpen)]);
    const heard = nextMessage(openB);
    openA.send('hello over WebRTC');
    expect(await heard).toBe('hello over WebRTC');
  });

  it('connects to a real bittorrent-tracker client both ways: it answers our offer, we answer its offer', async () => {
    const infoHashHex = randomBytes(20).toString('hex');
    const infoHash = trackerIdFromHex(infoHashHex)!;
    const torrent = new TorrentClient({ infoHash: infoHashHex, peerId: randomBytes(20).toString('hex'), announce: url, port: 6881, rtcConfig: { iceServers: [] } });
    torrent.on('warning', () => {});
    torrent.on('error', () => {});
    cleanups.push(() => torrent.destroy());
    const torrentPeers: SimplePeer[] = [];
    // The real client's end of each connection: answering ours (not initiator), offering its own (initiator).
    const torrentConnected = (initiator: boolean) =>
      new Promise<SimplePeer>((resolve) =>
        torrent.on('peer', (peer) => {
          torrentPeers.push(peer);
          peer.on('error', () => {});
          if (peer.initiator === initiator) peer.once('connect', () => resolve(peer));
        }),
      );
    const answering = torrentConnected(false);
    const offering = torrentConnected(true);

    const ours = sdkClient();
    const ourId = randomTrackerId('-SH0001-');
    const pcOffer = peerConnection();
    const offeredChannel = pcOffer.createDataChannel('shoal');
    await pcOffer.setLocalDescription(await pcOffer.createOffer());
    const offer = await gathered(pcOffer);
    const offerId = randomTrackerId();
    let theirChannel: Promise<RTCDataChannel> | undefined;
    const answerFromTorrent = new Promise<string>((resolve) => {
      const session = ours.join(infoHash, ourId, {
        onOffer(from, theirOfferId, theirOffer) {
          // The real client offers too when it announces: we answer, and that connection opens as well.
          if (theirChannel) return;
          const pc = peerConnection();
          theirChannel = new Promise((resolveChannel) => (pc.ondatachannel = (event) => resolveChannel(event.channel)));
          void (async () => {
            await pc.setRemoteDescription(theirOffer);
            await pc.setLocalDescription(await pc.createAnswer());
            session.answer(from, theirOfferId, await gathered(pc));
          })();
        },
        onAnswer(from, answeredOfferId, answer) {
          if (answeredOfferId === offerId) void pcOffer.setRemoteDescription(answer).then(() => resolve(trackerIdToHex(from)));
        },
      });
      // Join first, let the real client join, then offer to it.
      void once(ours, 'connect').then(() => session.announce([]));
      void once(ours, 'update').then(() => {
        torrent.once('update', () => session.announce([{ offer_id: offerId, offer }]));
        torrent.start();
      });
    });
    expect(await answerFromTorrent).toBe(torrent.peerId);

    // Our offer, its answer: simple-peer talks to our data channel.
    const answerer = await answering;
    const open = await channelOpen(offeredChannel);
    const heard = nextMessage(open);
    answerer.send('hello from simple-peer');
    expect(await heard).toBe('hello from simple-peer');

    // Its offer, our answer: we talk to simple-peer.
    const offerer = await offering;
    const ourEnd = await channelOpen(await theirChannel!);
    const theyHeard = new Promise<string>((resolve) => offerer.once('data', (data: Uint8Array) => resolve(Buffer.from(data).toString())));
    ourEnd.send('hello from the Shoal SDK');
    expect(await theyHeard).toBe('hello from the Shoal SDK');
    for (const p of torrentPeers) p.destroy();
  });

  it('reports failure reasons and scrapes', async () => {
    const client = sdkClient();
    const infoHash = randomTrackerId();
    const session = client.join(infoHash, randomTrackerId(), { onOffer() {}, onAnswer() {} });
    await once(client, 'connect');
    session.announce([]);
    await once(client, 'update');
    const scraped = once(client, 'scrape');
    client.scrape([infoHash]);
    expect(await scraped).toEqual([infoHash, 0, 1]);
    session.leave();
  });
});

describe('TrackerClient lifecycle', () => {
  it('reconnects after the tracker drops it and rejoins its swarms', async () => {
    const client = new TrackerClient({ url, WebSocket: WebSocket as unknown as WebSocketConstructor, minReconnectMs: 50, maxReconnectMs: 100 });
    cleanups.push(() => client.destroy());
    const infoHash = randomTrackerId();
    const session = client.join(infoHash, randomTrackerId(), { onOffer() {}, onAnswer() {} });
    await once(client, 'connect');
    session.announce([]);
    await once(client, 'update');
    // Drop the socket under it.
    const reconnected = once(client, 'connect');
    const updated = once(client, 'update');
    (client as unknown as { socket?: { close(): void } }).socket?.close();
    await reconnected;
    expect((await updated)[2]).toBeGreaterThanOrEqual(1);
    client.destroy();
    client.destroy();
    expect(client.connected).toBe(false);
  });

  it('refuses non-WebSocket URLs', () => {
    expect(() => new TrackerClient({ url: 'http://tracker.example' })).toThrow(TypeError);
  });
});
