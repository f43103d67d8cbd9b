import type { FragmentLoaderContext, LoaderCallbacks, LoaderConfiguration } from 'hls.js';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ShoalEngine } from '../src/core/engine.js';
import type * as Integrity from '../src/core/integrity.js';
import type { EngineOptions } from '../src/core/options.js';
import { PeerConnector } from '../src/core/peer-connector.js';
import { SegmentStore } from '../src/core/segment-store.js';
import { Swarm } from '../src/core/swarm.js';
import { createFragmentLoader } from '../src/hlsjs/fragment-loader.js';
import { TrackerClient, type WebSocketLike } from '../src/signaling/tracker-client.js';
import { MemorySignalingHub } from './memory-signaling.js';
import { SegmentServer } from './segment-server.js';

/**
 * The fault barrier: an exception or rejected promise at any of the core's entry points never reaches
 * hls.js. The fragment loader hls.js calls still delivers the origin's exact bytes, and the engine says
 * what happened with a `warning` (SHOAL_ERR_INTERNAL) and `getStats().faults`.
 */

const integrityFault = vi.hoisted(() => ({ on: false }));
vi.mock('../src/core/integrity.js', async (importOriginal) => {
  const real = await importOriginal<typeof Integrity>();
  const fail = (): never => {
    throw new TypeError("Cannot read properties of undefined (reading 'digest')");
  };
  return {
    ...real,
    sha256: async (bytes: Uint8Array) => (integrityFault.on ? fail() : real.sha256(bytes)),
    matchesDigest: async (bytes: Uint8Array, expected: Uint8Array) => (integrityFault.on ? fail() : real.matchesDigest(bytes, expected)),
  };
});

/** A WebSocket that never opens: the tracker client is only constructed and joined. */
class SilentSocket implements WebSocketLike {
  readyState = 0;
  onopen = null;
  onmessage = null;
  onclose = null;
  onerror = null;
  send(): void {}
  close(): void {}
}

/** A data-channel-less RTCPeerConnection stand-in: these faults strike before any connection is made. */
class NoRtc {
  close(): void {}
}

let server: SegmentServer;
let engine: ShoalEngine | undefined;

beforeEach(async () => {
  server = new SegmentServer(3, 50_000);
  await server.start();
});

afterEach(async () => {
  vi.restoreAllMocks();
  integrityFault.on = false;
  engine?.destroy();
  engine = undefined;
  await server.stop();
});

function makeEngine(options: Partial<EngineOptions>): { engine: ShoalEngine; warnings: Error[] } {
  const created = new ShoalEngine({ RTCPeerConnection: NoRtc as unknown as EngineOptions['RTCPeerConnection'], ...options });
  const warnings: Error[] = [];
  created.on('warning', (error) => warnings.push(error));
  engine = created;
  return { engine: created, warnings };
}

/** Loads segment `sn` the way hls.js does, through the fragment loader, and returns what hls.js was told. */
function loadAsHlsjs(player: ShoalEngine, sn: number, bufferedMs = 10_000): Promise<{ ok: true; data: ArrayBuffer } | { ok: false; code: number; text: string }> {
  const ref = server.segment(sn);
  const digest = Buffer.from(ref.digest!).toString('base64url');
  const frag = { sn, url: ref.url, baseurl: `${server.url}/live/index.m3u8`, duration: 2, byteRange: [], tagList: [['EXT-X-SHOAL-DIGEST', `SHA-256=${digest}`]] };
  const context = { frag, url: ref.url, responseType: 'arraybuffer', part: null, resetIV: false } as unknown as FragmentLoaderContext;
  const Loader = createFragmentLoader(player, () => bufferedMs);
  const loader = new Loader({});
  return new Promise((resolve) => {
    const callbacks = {
      onSuccess: (response: { data: ArrayBuffer }) => resolve({ ok: true, data: response.data }),
      onError: (error: { code: number; text: string }) => resolve({ ok: false, code: error.code, text: error.text }),
      onTimeout: () => resolve({ ok: false, code: -1, text: 'timeout' }),
    } as unknown as LoaderCallbacks<FragmentLoaderContext>;
    loader.load(context, {} as LoaderConfiguration, callbacks);
  });
}

async function expectNormalLoad(player: ShoalEngine, sn: number, bufferedMs?: number): Promise<void> {
  const result = await loadAsHlsjs(player, sn, bufferedMs);
  expect(result.ok, result.ok ? '' : result.text).toBe(true);
  if (result.ok) expect(Buffer.from(result.data).equals(server.bytes.get(`/seg${sn}.ts`)!)).toBe(true);
}

function expectFaultReported(player: ShoalEngine, warnings: Error[]): void {
  expect(player.getStats().faults).toBeGreaterThanOrEqual(1);
  expect(warnings.some((w) => (w as { code?: string }).code === 'SHOAL_ERR_INTERNAL')).toBe(true);
}

describe('the fragment loader behind the fault barrier', () => {
  it('loads normally when the swarm throws synchronously or rejects', async () => {
    const { engine: player, warnings } = makeEngine({});
    vi.spyOn(Swarm.prototype, 'load').mockImplementationOnce(() => {
      throw new Error('injected swarm fault');
    });
    await expectNormalLoad(player, 0);
    vi.spyOn(Swarm.prototype, 'load').mockRejectedValueOnce(new Error('injected swarm rejection'));
    await expectNormalLoad(player, 1);
    expect(player.getStats().faults).toBe(2);
    expectFaultReported(player, warnings);
    // The barrier is per load: the next segment goes through the engine again.
    await expectNormalLoad(player, 2);
    expect(player.getStats().httpBytes).toBe(server.bytes.get('/seg2.ts')!.length);
  });

  it('loads normally when the segment store throws', async () => {
    const { engine: player, warnings } = makeEngine({});
    vi.spyOn(SegmentStore.prototype, 'open').mockImplementation(() => {
      throw new RangeError('injected store fault');
    });
    await expectNormalLoad(player, 0);
    await expectNormalLoad(player, 1);
    expectFaultReported(player, warnings);
  });

  it('loads normally when integrity checking throws (a page without crypto.subtle, as it failed in the field)', async () => {
    integrityFault.on = true;
    const hub = new MemorySignalingHub();
    const { engine: player, warnings } = makeEngine({ signaling: hub.signaling() });
    await expectNormalLoad(player, 0);
    expectFaultReported(player, warnings);
    expect(warnings.some((w) => /reading 'digest'/.test(w.message))).toBe(true);
  });

  it('loads normally when the tracker client throws on join', async () => {
    vi.spyOn(TrackerClient.prototype, 'join').mockImplementation(() => {
      throw new Error('injected tracker fault');
    });
    const { engine: player, warnings } = makeEngine({ trackerUrl: 'ws://127.0.0.1:9/announce', WebSocket: SilentSocket });
    await expectNormalLoad(player, 0);
    await expectNormalLoad(player, 1);
    expectFaultReported(player, warnings);
    expect(warnings.some((w) => /join: injected tracker fault/.test(w.message))).toBe(true);
  });

  it('loads normally when the peer connector rejects', async () => {
    vi.spyOn(PeerConnector.prototype, 'createOffers').mockRejectedValue(new Error('injected connector fault'));
    const hub = new MemorySignalingHub();
    const { engine: player, warnings } = makeEngine({ signaling: hub.signaling() });
    // Alone in its swarm, the player waits for peers while its buffer allows (2 s here), then uses HTTP.
    await expectNormalLoad(player, 0, 2_000);
    await vi.waitFor(() => expectFaultReported(player, warnings));
    expect(warnings.some((w) => /announce: injected connector fault/.test(w.message))).toBe(true);
  });

  it('passes the origin’s own HTTP errors to hls.js, whose retry policy handles them', async () => {
    const { engine: player } = makeEngine({});
    const ref = server.segment(0);
    server.bytes.delete('/seg0.ts');
    const Loader = createFragmentLoader(player, () => 10_000);
    const result = await new Promise<{ code: number }>((resolve) => {
      const frag = { sn: 0, url: ref.url, baseurl: `${server.url}/live/index.m3u8`, duration: 2, byteRange: [], tagList: [] };
      new Loader({}).load({ frag, url: ref.url } as unknown as FragmentLoaderContext, {} as LoaderConfiguration, {
        onSuccess: () => resolve({ code: 200 }),
        onError: (error: { code: number }) => resolve(error),
      } as unknown as LoaderCallbacks<FragmentLoaderContext>);
    });
    expect(result.code).toBe(404);
    expect(player.getStats().faults).toBe(0);
  });
});

describe('an engine on a page without Web Crypto', () => {
  it('turns P2P off with one warning and plays over HTTP, without a fault', async () => {
    vi.stubGlobal('crypto', { getRandomValues: <T extends ArrayBufferView>(a: T) => a });
    try {
      const hub = new MemorySignalingHub();
      const { engine: player, warnings } = makeEngine({ signaling: hub.signaling() });
      await expectNormalLoad(player, 0);
      await expectNormalLoad(player, 1);
      expect(warnings.map((w) => (w as { code?: string }).code)).toEqual(['SHOAL_ERR_NO_WEBCRYPTO']);
      expect(player.getStats().faults).toBe(0);
      expect(player.getStats().httpBytes).toBeGreaterThan(0);
    } finally {
      vi.unstubAllGlobals();
    }
  });
});
