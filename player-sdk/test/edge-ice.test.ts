import { RTCPeerConnection } from 'node-datachannel/polyfill';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createEdge, startEdgeServer, type EdgeServer } from '@shoal/edge';
import { ShoalEngine } from '../src/core/engine.js';
import type { EngineOptions } from '../src/core/options.js';

/**
 * The SDK takes its ICE servers from the edge unless the page passes its own: its first offers wait for the
 * announce reply that carries them, so none is made with host candidates only.
 */

let edge: EdgeServer;
beforeAll(async () => {
  edge = await startEdgeServer(
    await createEdge({ stunUrls: ['stun:127.0.0.1:9'], turnUrls: ['turn:127.0.0.1:9?transport=udp'], turnSecret: 'sdk-test-secret' }, { logger: pino({ level: 'silent' }) }),
    0,
    '127.0.0.1',
  );
});
afterAll(async () => {
  await edge?.close();
});

/** A real node-datachannel connection class that records the configuration of every connection made. */
function recording(): { configs: RTCConfiguration[]; Ctor: EngineOptions['RTCPeerConnection'] } {
  const configs: RTCConfiguration[] = [];
  class Recording extends RTCPeerConnection {
    constructor(config?: RTCConfiguration) {
      configs.push(structuredClone(config ?? {}));
      // Unreachable servers would only slow gathering down: the test looks at what was asked for.
      super({ ...config, iceServers: [] });
    }
  }
  return { configs, Ctor: Recording as unknown as EngineOptions['RTCPeerConnection'] };
}

let swarms = 0;

async function firstConfigs(extra: Partial<EngineOptions>): Promise<RTCConfiguration[]> {
  const { configs, Ctor } = recording();
  const playlist = `http://media.test/live/ice-${++swarms}/index.m3u8`;
  // Offers are made only for peers left to meet: a viewer already in the swarm gives the engine one.
  const companion = new ShoalEngine({ trackerUrl: edge.trackerUrl, WebSocket: WebSocket as unknown as EngineOptions['WebSocket'], RTCPeerConnection: RTCPeerConnection as unknown as EngineOptions['RTCPeerConnection'], iceServers: [] });
  await companion.updatePlaylist(playlist, [], true);
  await new Promise((resolve) => setTimeout(resolve, 300));
  const engine = new ShoalEngine({ trackerUrl: edge.trackerUrl, WebSocket: WebSocket as unknown as EngineOptions['WebSocket'], RTCPeerConnection: Ctor, ...extra });
  try {
    await engine.updatePlaylist(playlist, [], true);
    for (let i = 0; i < 100 && configs.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 50));
    return configs;
  } finally {
    engine.destroy();
    companion.destroy();
  }
}

describe('ICE servers from the edge', () => {
  it('makes its first offers with the STUN and TURN servers the edge handed out', async () => {
    const configs = await firstConfigs({});
    expect(configs.length).toBeGreaterThan(0);
    for (const config of configs) {
      const servers = config.iceServers!;
      expect(servers[0]).toEqual({ urls: ['stun:127.0.0.1:9'] });
      expect(servers[1]).toMatchObject({ urls: ['turn:127.0.0.1:9?transport=udp'] });
      expect(servers[1]!.username).toMatch(/^\d+:/);
      expect(typeof servers[1]!.credential).toBe('string');
    }
  });

  it('uses the page’s own servers when it passes some, and none when it passes an empty list', async () => {
    const own = await firstConfigs({ iceServers: [{ urls: 'stun:page.example:3478' }] });
    expect(own.length).toBeGreaterThan(0);
    for (const config of own) expect(config.iceServers).toEqual([{ urls: 'stun:page.example:3478' }]);
    const none = await firstConfigs({ iceServers: [] });
    expect(none.length).toBeGreaterThan(0);
    for (const config of none) expect(config.iceServers).toEqual([]);
  });
});
