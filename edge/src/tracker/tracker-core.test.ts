import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { randomTrackerId, TRACKER_CLOSE_CODES } from '@shoal/protocol';
import { seededRandom } from '../../../test-support/seeded-random.js';
import { FakeCluster } from '../../test/fake-cluster.js';
import { resolveEdgeOptions, type EdgeOptions } from '../options.js';
import type { Channel, ChannelHandler } from './channel.js';
import type { TrackerConnection } from './connection.js';
import { TrackerStats } from './stats.js';
import { SwarmRegistry } from './swarm-registry.js';
import { TrackerCore } from './tracker-core.js';

type Message = Record<string, unknown>;

/** A client of the in-memory transport: what it sends goes straight to the tracker, what it gets is kept here. */
class FakeChannel implements Channel {
  readonly received: Message[] = [];
  closedWith: { code: number; reason: string } | undefined;
  session!: TrackerConnection;

  constructor(private readonly handler: ChannelHandler<TrackerConnection>) {}

  send(text: string): boolean {
    if (this.closedWith) return false;
    this.received.push(JSON.parse(text) as Message);
    return true;
  }

  close(code: number, reason: string): void {
    if (this.closedWith) return;
    this.closedWith = { code, reason };
    this.handler.closed(this.session);
  }

  /** The client sends a message (an object is sent as JSON, a string as is). */
  write(message: Message | string): void {
    this.handler.message(this.session, typeof message === 'string' ? message : JSON.stringify(message));
  }

  /** Messages received since the last call. */
  take(): Message[] {
    return this.received.splice(0);
  }
}

function setup(overrides: Partial<EdgeOptions> = {}, cluster?: FakeCluster) {
  const options = resolveEdgeOptions(overrides);
  const stats = new TrackerStats();
  let clock = 1_000;
  const now = () => clock;
  const registry = new SwarmRegistry<TrackerConnection>({ maxPeersPerSwarm: options.maxPeersPerSwarm, memberTtlMs: options.memberTtlMs, expiryIntervalMs: 60_000 }, { cluster, stats, now });
  const core = new TrackerCore(options, { log: pino({ level: 'silent' }), geo: undefined, cluster, registry, stats, now, random: seededRandom(7) });
  const connect = (address = '203.0.113.10'): FakeChannel => {
    const channel = new FakeChannel(core);
    channel.session = core.opened(channel, address);
    return channel;
  };
  return { options, stats, registry, core, connect, advance: (ms: number) => (clock += ms) };
}

const IH = randomTrackerId();
const offer = () => ({ offer_id: randomTrackerId(), offer: { type: 'offer', sdp: 'v=0 offer' } });

describe('TrackerCore over an in-memory transport', () => {
  it('relays an announce’s offers to other peers of the swarm and routes each answer back to its offerer', () => {
    const { connect, stats } = setup();
    const [a, b, c] = [connect('203.0.113.1'), connect('198.51.100.2'), connect('192.0.2.3')];
    const [peerA, peerB, peerC] = [randomTrackerId(), randomTrackerId(), randomTrackerId()];
    a.write({ action: 'announce', info_hash: IH, peer_id: peerA, event: 'started', numwant: 0 });
    expect(a.take()).toEqual([{ action: 'announce', info_hash: IH, interval: 60, complete: 0, incomplete: 1 }]);
    b.write({ action: 'announce', info_hash: IH, peer_id: peerB, event: 'started', numwant: 0 });
    b.take();

    const offers = [offer(), offer(), offer()];
    c.write({ action: 'announce', info_hash: IH, peer_id: peerC, event: 'started', numwant: 3, offers });
    expect(c.take()).toEqual([{ action: 'announce', info_hash: IH, interval: 60, complete: 0, incomplete: 3 }]);
    // Two other peers: two of the three offers go out, one to each, never back to the announcer.
    const [toA, toB] = [a.take(), b.take()];
    expect([toA.length, toB.length]).toEqual([1, 1]);
    for (const relayed of [...toA, ...toB]) expect(relayed).toMatchObject({ action: 'announce', info_hash: IH, peer_id: peerC });
    expect(toA[0]!.offer_id).not.toBe(toB[0]!.offer_id);
    const sentA = offers.find((o) => o.offer_id === toA[0]!.offer_id)!;
    expect(toA[0]).toEqual({ action: 'announce', info_hash: IH, peer_id: peerC, offer_id: sentA.offer_id, offer: sentA.offer });

    const answer = { action: 'announce', info_hash: IH, peer_id: peerA, to_peer_id: peerC, offer_id: sentA.offer_id, answer: { type: 'answer', sdp: 'v=0 answer' } };
    a.write(answer);
    expect(c.take()).toEqual([{ action: 'announce', info_hash: IH, peer_id: peerA, offer_id: sentA.offer_id, answer: { type: 'answer', sdp: 'v=0 answer' } }]);
    expect(a.take()).toEqual([]);
    // The offer was answered once; a second answer (or one for an offer never made) is refused with a code.
    a.write(answer);
    expect(a.take()).toEqual([{ action: 'announce', info_hash: IH, 'failure reason': expect.any(String) as string, shoal_error: 'SHOAL_ERR_UNEXPECTED_ANSWER' }]);
    expect(c.take()).toEqual([]);
    expect([stats.in.announce, stats.out.offer, stats.in.answer, stats.out.answer, stats.rejected.unexpected_answer]).toEqual([3, 2, 2, 1, 1]);
  });

  it('counts seeders and leechers in announce replies and scrapes, and forgets peers that stop or disconnect', () => {
    const { connect, registry } = setup();
    const [a, b] = [connect(), connect()];
    const [peerA, peerB] = [randomTrackerId(), randomTrackerId()];
    const other = randomTrackerId();
    a.write({ action: 'announce', info_hash: IH, peer_id: peerA, event: 'completed' });
    b.write({ action: 'announce', info_hash: IH, peer_id: peerB, left: 100 });
    expect(b.take()).toMatchObject([{ complete: 1, incomplete: 1 }]);
    b.write({ action: 'scrape', info_hash: [IH, other] });
    expect(b.take()).toEqual([
      {
        action: 'scrape',
        files: { [IH]: { complete: 1, incomplete: 1, downloaded: 1 }, [other]: { complete: 0, incomplete: 0, downloaded: 0 } },
        flags: { min_request_interval: 60 },
      },
    ]);
    b.write({ action: 'announce', info_hash: IH, peer_id: peerB, event: 'stopped' });
    expect(b.take()).toMatchObject([{ complete: 1, incomplete: 0 }]);
    a.close(1000, '');
    expect(registry.swarm(IH)).toBeUndefined();
    b.write({ action: 'scrape', info_hash: IH });
    expect(b.take()).toMatchObject([{ files: { [IH]: { complete: 0, incomplete: 0 } } }]);
  });

  it('answers malformed messages and broken limits with a coded failure, keeping the connection', () => {
    const { connect, stats } = setup({ maxSwarmsPerConnection: 2, maxOffersPerAnnounce: 2 });
    const client = connect();
    const peerId = randomTrackerId();
    client.write('{not json');
    client.write({ action: 'announce', info_hash: 'short', peer_id: peerId });
    client.write({ action: 'announce', info_hash: IH, peer_id: peerId, offers: [offer(), offer(), offer()] });
    expect(client.take()).toEqual([
      { action: 'announce', 'failure reason': 'message is not a JSON object', shoal_error: 'SHOAL_ERR_BAD_MESSAGE' },
      expect.objectContaining({ action: 'announce', shoal_error: 'SHOAL_ERR_BAD_MESSAGE' }),
      expect.objectContaining({ action: 'announce', info_hash: IH, shoal_error: 'SHOAL_ERR_TOO_MANY_OFFERS' }),
    ]);
    expect([stats.rejected.bad_json, stats.rejected.bad_info_hash, stats.rejected.too_many_offers]).toEqual([1, 1, 1]);

    const [first, second, third] = [randomTrackerId(), randomTrackerId(), randomTrackerId()];
    client.write({ action: 'announce', info_hash: first, peer_id: peerId });
    client.write({ action: 'announce', info_hash: second, peer_id: peerId });
    client.write({ action: 'announce', info_hash: third, peer_id: peerId });
    expect(client.take().map((m) => m.shoal_error ?? m.interval)).toEqual([60, 60, 'SHOAL_ERR_TOO_MANY_SWARMS']);

    const thief = connect();
    thief.write({ action: 'announce', info_hash: first, peer_id: peerId });
    expect(thief.take()).toMatchObject([{ info_hash: first, shoal_error: 'SHOAL_ERR_PEER_ID_TAKEN' }]);
    expect(client.closedWith).toBeUndefined();
    expect(thief.closedWith).toBeUndefined();
  });

  it('drops messages over the rate with a failure, then closes a flooding connection with 4001 and forgets its peers', () => {
    const { connect, registry, advance } = setup({ messagesPerSecond: 1, messageBurst: 3 });
    const flood = connect();
    const calm = connect();
    flood.write({ action: 'announce', info_hash: IH, peer_id: randomTrackerId() });
    flood.write({ action: 'scrape', info_hash: IH });
    flood.write({ action: 'scrape', info_hash: IH });
    expect(flood.take().map((m) => m.action)).toEqual(['announce', 'scrape', 'scrape']);
    flood.write({ action: 'scrape', info_hash: IH });
    expect(flood.take()).toEqual([{ action: 'announce', 'failure reason': expect.any(String) as string, shoal_error: 'SHOAL_ERR_RATE_LIMITED' }]);
    // A whole extra burst of refused messages is abuse.
    for (let i = 0; i < 3; i++) flood.write({ action: 'scrape', info_hash: IH });
    expect(flood.closedWith).toEqual({ code: TRACKER_CLOSE_CODES.RATE_LIMITED, reason: 'SHOAL_ERR_RATE_LIMITED' });
    expect(registry.localPeerCount).toBe(0);
    flood.take();
    advance(10_000);
    flood.write({ action: 'scrape', info_hash: IH });
    expect(flood.take()).toEqual([]);
    // Limits are per connection.
    calm.write({ action: 'scrape', info_hash: IH });
    expect(calm.take()).toHaveLength(1);
  });

  it('reaches peers of other nodes through the cluster, once the swarm’s remote members have loaded', async () => {
    const cluster = new FakeCluster(false);
    const { connect, core, stats } = setup({}, cluster);
    const local = connect();
    const [peerLocal, peerRemote] = [randomTrackerId(), randomTrackerId()];
    const sent = offer();
    local.write({ action: 'announce', info_hash: IH, peer_id: peerLocal, numwant: 1, offers: [sent] });
    expect(cluster.calls.map((c) => c.kind)).toEqual(['watch', 'member']);
    // The reply waits for the remote members, so it counts them and the offer can reach them.
    expect(local.take()).toEqual([]);
    core.remoteMember(IH, 'node-b', { peerId: peerRemote, profile: { network: '4:198.51.100', asn: undefined, country: undefined, region: 'default', position: undefined, positionAt: 0, playing: true }, complete: true });
    cluster.loaded();
    await Promise.resolve();
    await Promise.resolve();
    expect(local.take()).toEqual([{ action: 'announce', info_hash: IH, interval: 60, complete: 1, incomplete: 1 }]);
    expect(cluster.calls.at(-1)).toEqual({ kind: 'offer', node: 'node-b', signal: { infoHash: IH, from: peerLocal, to: peerRemote, offerId: sent.offer_id, sdp: 'v=0 offer' } });

    core.remoteAnswer({ infoHash: IH, from: peerRemote, to: peerLocal, offerId: sent.offer_id, sdp: 'v=0 answer' });
    expect(local.take()).toEqual([{ action: 'announce', info_hash: IH, peer_id: peerRemote, offer_id: sent.offer_id, answer: { type: 'answer', sdp: 'v=0 answer' } }]);

    const theirs = randomTrackerId();
    core.remoteOffer({ infoHash: IH, from: peerRemote, to: peerLocal, offerId: theirs, sdp: 'v=0 offer 2' });
    expect(local.take()).toEqual([{ action: 'announce', info_hash: IH, peer_id: peerRemote, offer_id: theirs, offer: { type: 'offer', sdp: 'v=0 offer 2' } }]);
    local.write({ action: 'announce', info_hash: IH, peer_id: peerLocal, to_peer_id: peerRemote, offer_id: theirs, answer: { type: 'answer', sdp: 'v=0 answer 2' } });
    expect(cluster.calls.at(-1)).toEqual({ kind: 'answer', node: 'node-b', signal: { infoHash: IH, from: peerLocal, to: peerRemote, offerId: theirs, sdp: 'v=0 answer 2' } });
    expect([stats.clusterIn.member, stats.clusterOut.offer, stats.clusterIn.answer, stats.clusterIn.offer, stats.clusterOut.answer]).toEqual([1, 1, 1, 1, 1]);

    local.close(1000, '');
    expect(cluster.calls.slice(-2)).toEqual([
      { kind: 'leave', infoHash: IH, peerId: peerLocal },
      { kind: 'unwatch', infoHash: IH },
    ]);
  });
});
