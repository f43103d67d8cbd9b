import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { decodePeerMessage, encodePeerMessage, PEER_PROTOCOL_VERSION } from '@shoal/protocol';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { infoHashOf, ShoalEngine, swarmKeyOf } from '../src/core/engine.js';
import type { EngineOptions } from '../src/core/options.js';
import { systemClock } from '../src/util/clock.js';
import { PeerConnector } from '../src/core/peer-connector.js';
import { FakeDataChannel } from './fake-data-channel.js';
import type { Signaling, SignalingHandlers } from '../src/signaling/signaling.js';

/**
 * One viewer's resources over 10 simulated minutes (fake clock) in a swarm of 200 remote viewers that
 * come and go: some answer its offers and connect, some never answer, some answer and never complete
 * ICE, some fail; they send it offers too, and leave with their channels open. The remote viewers and
 * the network are simulated here (an RTCPeerConnection stand-in); the engine is the real one. Every
 * simulated second: the RTCPeerConnections not closed, those in progress, the pending offers and the
 * segment memory stay within their limits, and getStats() says so.
 */

const MAX_PEERS = 20;
const MAX_CONNECTING = 8;
const CONNECT_TIMEOUT_MS = 15_000;
const SEGMENT_MEMORY = 4 * 1024 * 1024;
const SEGMENT_BYTES = 400_000;
const REMOTE_VIEWERS = 200;

/** A deterministic random sequence, so a failure reproduces. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

type Fate = 'connect' | 'never-answer' | 'ice-stuck' | 'ice-fails';

const alive = new Set<FakeRtc>();

class FakeRtc extends EventTarget {
  static nextId = 0;
  readonly id = FakeRtc.nextId++;
  readonly createdAt = Date.now();
  connectionState: RTCPeerConnectionState = 'new';
  iceGatheringState: RTCIceGatheringState = 'complete';
  localDescription: { type: string; sdp: string } | null = null;
  channel: FakeDataChannel | undefined;
  opened = false;

  constructor() {
    super();
    alive.add(this);
  }
  createDataChannel(): FakeDataChannel {
    this.channel = new FakeDataChannel();
    this.channel.addEventListener('open', () => (this.opened = true));
    return this.channel;
  }
  async createOffer(): Promise<{ type: 'offer'; sdp: string }> {
    return { type: 'offer', sdp: `fake ${this.id}` };
  }
  async createAnswer(): Promise<{ type: 'answer'; sdp: string }> {
    return { type: 'answer', sdp: `fake ${this.id}` };
  }
  async setLocalDescription(description: { type: string; sdp: string }): Promise<void> {
    this.localDescription = description;
  }
  async setRemoteDescription(): Promise<void> {}
  setState(state: RTCPeerConnectionState): void {
    this.connectionState = state;
    this.dispatchEvent(new Event('connectionstatechange'));
  }
  close(): void {
    if (this.connectionState === 'closed') return;
    alive.delete(this);
    this.connectionState = 'closed';
    this.channel?.close();
  }
}

/** The 200 remote viewers and the tracker between them and the engine under test. */
class SimulatedSwarm {
  readonly online = new Set<string>();
  private readonly nextChange = new Map<string, number>();
  private readonly channels = new Map<string, Set<FakeDataChannel>>();
  handlers: SignalingHandlers | undefined;
  offersReceived = 0;
  offersSent = 0;
  joins = 0;

  constructor(
    private readonly rand: () => number,
    private readonly swarmHex: string,
  ) {
    for (let i = 0; i < REMOTE_VIEWERS; i++) this.nextChange.set(`-RV0001-remote${String(i).padStart(6, '0')}`, Date.now() + rand() * 60_000);
  }

  signaling(): Signaling {
    return {
      join: (_infoHash, _peerId, handlers) => {
        this.handlers = handlers;
        return {
          announce: (offers) => {
            this.offersReceived += offers.length;
            const online = [...this.online];
            handlers.onSwarmSize?.(online.length + 1);
            for (const offer of offers) {
              const remote = online[Math.floor(this.rand() * online.length)];
              if (remote === undefined) continue;
              const fate = this.fate();
              if (fate === 'never-answer') continue;
              setTimeout(() => {
                // The engine's offer PC is found by the SDP it made.
                const pc = [...alive].find((candidate) => candidate.localDescription?.sdp === offer.offer.sdp);
                handlers.onAnswer(remote, offer.offer_id, { type: 'answer', sdp: `remote ${remote}` });
                if (pc) this.connect(remote, pc, pc.channel!, fate);
              }, 200);
            }
          },
          answer: () => undefined,
          leave: () => undefined,
        };
      },
      destroy: () => undefined,
    };
  }

  private fate(): Fate {
    const r = this.rand();
    return r < 0.5 ? 'connect' : r < 0.7 ? 'never-answer' : r < 0.85 ? 'ice-stuck' : 'ice-fails';
  }

  /** After ICE: the channel opens and the remote viewer greets, or ICE never ends, or it fails. */
  private connect(remote: string, pc: FakeRtc, channel: FakeDataChannel, fate: Fate): void {
    setTimeout(() => {
      if (pc.connectionState === 'closed') return;
      if (fate === 'ice-fails') return pc.setState('failed');
      if (fate === 'ice-stuck') return pc.setState('connecting');
      if (!this.online.has(remote)) return;
      pc.setState('connected');
      channel.remote = (frame) => {
        const message = decodePeerMessage(frame);
        if (message.type === 'request') channel.deliver(encodePeerMessage({ type: 'absent', request: message.request, segment: message.segment }));
      };
      let set = this.channels.get(remote);
      if (!set) this.channels.set(remote, (set = new Set()));
      set.add(channel);
      channel.open();
      channel.deliver(encodePeerMessage({ type: 'hello', version: PEER_PROTOCOL_VERSION, swarm: this.swarmHex }));
      channel.deliver(encodePeerMessage({ type: 'have', entries: [] }));
    }, 500);
  }

  /** One simulated second: viewers join and leave, and some online ones send the engine an offer. */
  tick(): void {
    const now = Date.now();
    for (const [remote, at] of this.nextChange) {
      if (at > now) continue;
      if (this.online.delete(remote)) {
        // Leaving closes its channels from its side.
        for (const channel of this.channels.get(remote) ?? []) channel.close();
        this.channels.delete(remote);
        this.nextChange.set(remote, now + 10_000 + this.rand() * 50_000);
      } else {
        this.online.add(remote);
        this.joins++;
        this.nextChange.set(remote, now + 20_000 + this.rand() * 100_000);
      }
    }
    for (const remote of this.online) {
      if (this.rand() > 0.01 || !this.handlers) continue;
      this.offersSent++;
      const fate = this.fate();
      const before = new Set(alive);
      this.handlers.onOffer(remote, `offer-${this.offersSent}`.padEnd(20, 'x'), { type: 'offer', sdp: `remote ${remote}` });
      // The engine's answering PC appears after its (async) negotiation; ICE then runs.
      setTimeout(() => {
        const pc = [...alive].find((candidate) => !before.has(candidate) && candidate.channel === undefined && candidate.localDescription?.type === 'answer');
        if (!pc || fate === 'never-answer') return;
        const channel = new FakeDataChannel();
        pc.channel = channel;
        channel.addEventListener('open', () => (pc.opened = true));
        pc.dispatchEvent(Object.assign(new Event('datachannel'), { channel }));
        this.connect(remote, pc, channel, fate);
      }, 50);
    }
  }
}

let engine: ShoalEngine | undefined;

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
});

afterEach(() => {
  engine?.destroy();
  engine = undefined;
  vi.useRealTimers();
  alive.clear();
});

describe('one viewer among 200 that come and go, 10 simulated minutes', () => {
  it('keeps connections, offers and segment memory within their limits, and says so in getStats()', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const rand = random(11);
    const playlist = 'http://origin.test/live/index.m3u8';
    const swarmHex = (await infoHashOf(swarmKeyOf(playlist, undefined))).hex;
    const sim = new SimulatedSwarm(rand, swarmHex);
    const body = new Uint8Array(SEGMENT_BYTES);
    const fetchSegment: EngineOptions['fetch'] = async () => new Response(body, { headers: { 'Content-Length': String(SEGMENT_BYTES) } });
    engine = new ShoalEngine({
      RTCPeerConnection: FakeRtc as unknown as EngineOptions['RTCPeerConnection'],
      signaling: sim.signaling(),
      fetch: fetchSegment,
      clock: { ...systemClock, now: () => Date.now() },
      maxPeers: MAX_PEERS,
      maxConnectingPeers: MAX_CONNECTING,
      connectTimeoutMs: CONNECT_TIMEOUT_MS,
      segmentMemoryBytes: SEGMENT_MEMORY,
      announceIntervalSeconds: 15,
    });
    const segment = (i: number) => ({ sequence: i, url: `http://origin.test/seg${i}.ts`, duration: 2 });
    await engine.updatePlaylist(playlist, [segment(0)], true);
    gc();
    const heapBefore = process.memoryUsage().heapUsed;
    const worst = { alive: 0, connecting: 0, open: 0, memory: 0, oldestInProgressMs: 0 };
    let loads = 0;
    for (let second = 1; second <= 600; second++) {
      sim.tick();
      if (second % 2 === 0) {
        const sequence = second / 2;
        await engine.updatePlaylist(playlist, Array.from({ length: 6 }, (_, k) => segment(Math.max(0, sequence - 5 + k))), true);
        engine.loadSegment(playlist, segment(sequence), Date.now() + 6_000).then(
          () => loads++,
          () => undefined,
        );
      }
      await vi.advanceTimersByTimeAsync(1_000);
      const stats = engine.getStats();
      const inProgress = [...alive].filter((pc) => !pc.opened);
      worst.alive = Math.max(worst.alive, alive.size);
      worst.connecting = Math.max(worst.connecting, inProgress.length);
      worst.open = Math.max(worst.open, stats.connectionsOpen);
      worst.memory = Math.max(worst.memory, stats.segmentMemoryBytes);
      worst.oldestInProgressMs = Math.max(worst.oldestInProgressMs, ...inProgress.map((pc) => Date.now() - pc.createdAt));
      // What the engine says matches what exists.
      expect(stats.connectionsConnecting).toBe(inProgress.length);
      expect(stats.connectionsOpen + stats.connectionsConnecting).toBe(alive.size);
      expect(stats.peers).toBeLessThanOrEqual(stats.connectionsOpen);
    }
    gc();
    const heapGrowth = process.memoryUsage().heapUsed - heapBefore;
    const stats = engine.getStats();
    console.log(
      `10 simulated minutes, ${REMOTE_VIEWERS} viewers cycling (${sim.joins} joins): connections created ${stats.connectionsCreated}, failed ${stats.connectionsFailed}; ` +
        `worst: ${worst.alive} not closed (limit ${MAX_PEERS + MAX_CONNECTING}), ${worst.connecting} in progress (limit ${MAX_CONNECTING}), ${worst.open} open (limit ${MAX_PEERS}), ` +
        `oldest in progress ${worst.oldestInProgressMs} ms (limit ${CONNECT_TIMEOUT_MS}), segment memory ${worst.memory} (limit ${SEGMENT_MEMORY}); ` +
        `offers made ${sim.offersReceived}, received ${sim.offersSent}; ${loads} segments loaded; heap ${(heapGrowth / 1e6).toFixed(1)} MB`,
    );
    expect(sim.joins).toBeGreaterThan(REMOTE_VIEWERS);
    expect(worst.alive).toBeLessThanOrEqual(MAX_PEERS + MAX_CONNECTING);
    expect(worst.connecting).toBeLessThanOrEqual(MAX_CONNECTING);
    expect(worst.open).toBeLessThanOrEqual(MAX_PEERS);
    expect(worst.oldestInProgressMs).toBeLessThanOrEqual(CONNECT_TIMEOUT_MS + 1_000);
    expect(worst.memory).toBeLessThanOrEqual(SEGMENT_MEMORY);
    expect(stats.connectionsFailed).toBeGreaterThan(0);
    expect(stats.connectionsOpen).toBeGreaterThan(0);
    expect(loads).toBeGreaterThanOrEqual(295);
    expect(heapGrowth).toBeLessThan(32 * 1024 * 1024);
  });
});

describe('the connection cap', () => {
  it('lets a peer’s offer displace the oldest of our unanswered offers, never exceeding the cap', async () => {
    const connector = new PeerConnector({
      RTCPeerConnection: FakeRtc as unknown as EngineOptions['RTCPeerConnection'] & {},
      iceServers: [],
      maxConnecting: 3,
      accepts: () => true,
      onChannel: () => undefined,
    });
    try {
      expect(await connector.createOffers(5)).toHaveLength(3);
      expect(connector.counts.connecting).toBe(3);
      const answer = await connector.handleOffer('-RV0001-remote000001', { type: 'offer', sdp: 'remote' });
      expect(answer?.type).toBe('answer');
      expect(connector.counts).toMatchObject({ connecting: 3, failed: 1, created: 4 });
      expect(connector.pendingOffers).toBe(2);
      expect(alive.size).toBe(3);
    } finally {
      connector.destroy();
    }
    expect(alive.size).toBe(0);
  });
});
