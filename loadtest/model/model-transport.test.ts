import { describe, expect, it } from 'vitest';
import { ModelNetwork, reachable, type HostLink } from './model-network.js';
import { ModelRtcRegistry, rtcFor, type ModelDataChannel, type ModelPeerConnection } from './model-rtc.js';
import { VirtualClock } from './virtual-clock.js';

const link = (up: number, nat: HostLink['nat'] = 'cone', down = 1_000_000): HostLink => ({ upBytesPerSecond: up, downBytesPerSecond: down, nat, region: 0 });

describe('model network', () => {
  it('serialises on the sender uplink in order, adds the one-way delay, then queues on the receiver downlink', async () => {
    const clock = new VirtualClock();
    const network = new ModelNetwork(clock, { delayMs: () => 10 });
    const a = network.addHost(link(100_000)); // 100 kB/s: 1 ms per 100 bytes
    const b = network.addHost(link(100_000, 'cone', 50_000)); // downlink 50 kB/s: 2 ms per 100 bytes
    const events: string[] = [];
    network.transmit(a, b, 1000, () => events.push(`1 left@${clock.now()}`), () => events.push(`1 in@${clock.now()}`));
    network.transmit(a, b, 1000, () => events.push(`2 left@${clock.now()}`), () => events.push(`2 in@${clock.now()}`));
    await clock.run(1000);
    // First: leaves at 10 ms, reaches b at 20, through b's downlink at 40. Second: queued behind the first on
    // the uplink (leaves at 20), reaches b at 30, waits for the downlink until 40, in at 60.
    expect(events).toEqual(['1 left@10', '2 left@20', '1 in@40', '2 in@60']);
    expect(a.bytesSent).toBe(2000);
    expect(b.bytesReceived).toBe(2000);
  });

  it('serves flows in turn: a message on an idle flow waits for the one being sent, not for the queue of another flow', async () => {
    const clock = new VirtualClock();
    const network = new ModelNetwork(clock, { delayMs: () => 0 });
    const a = network.addHost(link(100_000, 'cone', 1_000_000_000));
    const b = network.addHost(link(100_000, 'cone', 1_000_000_000));
    const left: string[] = [];
    const bulk = {};
    const control = {};
    for (let i = 1; i <= 3; i++) network.transmit(a, b, 1000, () => left.push(`bulk ${i}@${clock.now()}`), () => undefined, bulk);
    network.transmit(a, b, 100, () => left.push(`request@${clock.now()}`), () => undefined, control);
    await clock.run(1000);
    // 1000 bytes take 10 ms: the request goes right after the first bulk message, then the bulk flow resumes.
    expect(left).toEqual(['bulk 1@10', 'request@11', 'bulk 2@21', 'bulk 3@31']);
  });

  it('lets two symmetric NATs fail and every other pair connect', () => {
    expect(reachable('symmetric', 'symmetric')).toBe(false);
    expect(reachable('symmetric', 'cone')).toBe(true);
    expect(reachable('cone', 'cone')).toBe(true);
    expect(reachable('open', 'symmetric')).toBe(true);
  });

  it('refuses a link without a rate', () => {
    const network = new ModelNetwork(new VirtualClock(), { delayMs: () => 1 });
    expect(() => network.addHost(link(0))).toThrow(RangeError);
  });
});

/** Offer from `a`, answer from `b`, as PeerConnector does it. */
async function pair(network: ModelNetwork, registry: ModelRtcRegistry, natA: HostLink['nat'], natB: HostLink['nat']) {
  const RtcA = rtcFor(network, registry, network.addHost(link(100_000, natA)));
  const RtcB = rtcFor(network, registry, network.addHost(link(100_000, natB)));
  const a = new RtcA();
  const b = new RtcB();
  const channelA = a.createDataChannel('shoal');
  await a.setLocalDescription(await a.createOffer());
  let channelB: ModelDataChannel | undefined;
  b.addEventListener('datachannel', (event) => (channelB = (event as Event & { channel: ModelDataChannel }).channel));
  await b.setRemoteDescription(a.localDescription!);
  await b.setLocalDescription(await b.createAnswer());
  await a.setRemoteDescription(b.localDescription!);
  return { a, b, channelA, channelB: () => channelB };
}

describe('model WebRTC', () => {
  it('opens a data channel after the handshakes and carries frames with bufferedAmount draining as the uplink sends', async () => {
    const clock = new VirtualClock();
    const network = new ModelNetwork(clock, { delayMs: () => 5 });
    const { a, channelA, channelB } = await pair(network, new ModelRtcRegistry(), 'cone', 'symmetric');
    const opened: number[] = [];
    channelA.addEventListener('open', () => opened.push(clock.now()));
    await clock.run(100);
    expect(a.connectionState).toBe('connected');
    expect(opened).toEqual([50]); // three round trips of 10 ms, and 20 ms of DTLS
    const received: number[] = [];
    channelB()!.onmessage = (event) => received.push(new Uint8Array(event.data)[0]!);
    let lowAt: number | undefined;
    channelA.bufferedAmountLowThreshold = 500;
    channelA.onbufferedamountlow = () => (lowAt = clock.now());
    channelA.send(new Uint8Array(1000).fill(1));
    channelA.send(new Uint8Array(1000).fill(2));
    expect(channelA.bufferedAmount).toBe(2000);
    await clock.run(200);
    expect(received).toEqual([1, 2]);
    expect(channelA.bufferedAmount).toBe(0);
    expect(lowAt).toBe(120); // the second frame left the uplink: 100 + 2 × 10 ms
    expect(await a.getStats()).toBeInstanceOf(Map);
  });

  it('fails ICE between two symmetric NATs, and closes the far end when one side closes', async () => {
    const clock = new VirtualClock();
    const network = new ModelNetwork(clock, { delayMs: () => 5 });
    const registry = new ModelRtcRegistry();
    const failed = await pair(network, registry, 'symmetric', 'symmetric');
    const states: string[] = [];
    failed.a.addEventListener('connectionstatechange', () => states.push(failed.a.connectionState));
    await clock.run(20_000);
    expect(states).toEqual(['failed']);
    expect(registry.failed).toBe(1);

    const ok = await pair(network, registry, 'open', 'symmetric');
    await clock.run(clock.now() + 100);
    let closedAt: number | undefined;
    ok.channelB()!.onclose = () => (closedAt = clock.now());
    const closingAt = clock.now();
    (ok.a as ModelPeerConnection).close();
    await clock.run(clock.now() + 100);
    expect(closedAt).toBe(closingAt + 5);
    expect(ok.channelB()!.readyState).toBe('closed');
    expect(() => ok.channelA.send(new Uint8Array(1))).toThrow(/not open/);
  });
});
