import { encodePeerMessage, PEER_PROTOCOL_VERSION } from '@shoal/protocol';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { HELLO_TIMEOUT_MS, Peer } from './peer.js';
import { PeerChannel } from './peer-channel.js';
import { FakeDataChannel, testPeerHost } from '../../test/fake-data-channel.js';

const SWARM = 'ab'.repeat(20);

function connect(): { peer: Peer; channel: FakeDataChannel & { sent: Uint8Array[] }; closes: string[] } {
  const sent: Uint8Array[] = [];
  const channel = Object.assign(new FakeDataChannel('open'), { sent });
  channel.remote = (frame) => sent.push(frame);
  const peer = new Peer('-SH0001-remote000001', new PeerChannel(channel as unknown as RTCDataChannel), testPeerHost(SWARM));
  const closes: string[] = [];
  peer.on('close', (reason) => closes.push(reason));
  peer.start();
  return { peer, channel, closes };
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'performance'] });
});

afterEach(() => {
  vi.useRealTimers();
});

describe('the hello', () => {
  it('closes a channel whose peer never says hello, without calling it a protocol fault', () => {
    const { peer, channel, closes } = connect();
    expect(channel.sent).toHaveLength(1); // our own hello went out at once
    vi.advanceTimersByTime(HELLO_TIMEOUT_MS - 1);
    expect(closes).toEqual([]);
    expect(channel.readyState).toBe('open');
    vi.advanceTimersByTime(1);
    expect(closes).toEqual(['no hello']);
    expect(channel.readyState).toBe('closed');
    expect(peer.ready).toBe(false);
  });

  it('keeps a peer that greets in time, however long it stays quiet afterwards', () => {
    const { peer, channel, closes } = connect();
    vi.advanceTimersByTime(HELLO_TIMEOUT_MS - 100);
    channel.deliver(encodePeerMessage({ type: 'hello', version: PEER_PROTOCOL_VERSION, swarm: SWARM }));
    expect(peer.ready).toBe(true);
    vi.advanceTimersByTime(10 * HELLO_TIMEOUT_MS);
    expect(closes).toEqual([]);
    expect(channel.readyState).toBe('open');
  });

  it('sets no timer that outlives a peer closed before its hello', () => {
    const { peer, closes } = connect();
    expect(vi.getTimerCount()).toBe(1);
    peer.close('swarm destroyed');
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(HELLO_TIMEOUT_MS);
    expect(closes).toEqual(['swarm destroyed']);
  });

  it('still closes a peer whose first message is not a hello as a protocol fault', () => {
    const { channel, closes } = connect();
    channel.deliver(encodePeerMessage({ type: 'have', entries: [] }));
    expect(closes).toEqual(['protocol: bad hello']);
  });
});

describe('the advertised upload', () => {
  it('learns what the peer advertises, and tells ours only once greeted', () => {
    const { peer, channel, closes } = connect();
    peer.tellUpload(262_144);
    expect(channel.sent).toHaveLength(1); // the hello alone: a capacity before it would break the protocol
    expect(peer.upload).toBeUndefined();
    channel.deliver(encodePeerMessage({ type: 'hello', version: PEER_PROTOCOL_VERSION, swarm: SWARM }));
    channel.deliver(encodePeerMessage({ type: 'capacity', upload: 524_288 }));
    expect(peer.upload).toBe(524_288);
    channel.deliver(encodePeerMessage({ type: 'capacity', upload: 0 }));
    expect(peer.upload).toBe(0);
    peer.tellUpload(262_144);
    expect(channel.sent.at(-1)).toEqual(encodePeerMessage({ type: 'capacity', upload: 262_144 }));
    expect(closes).toEqual([]);
  });

  it('refuses a peer of the version before capacity was advertised', () => {
    const { channel, closes } = connect();
    channel.deliver(encodePeerMessage({ type: 'hello', version: PEER_PROTOCOL_VERSION - 1, swarm: SWARM }));
    expect(closes).toEqual(['protocol: bad hello']);
  });
});
