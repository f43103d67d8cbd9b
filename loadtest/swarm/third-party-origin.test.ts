import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEdge, startEdgeServer, type EdgeServer } from '@shoal/edge';
import { parseDigestTag } from '@shoal/protocol';
import { startStaticLiveOrigin, type StaticLiveOrigin } from '../../test-support/static-live-origin.js';
import { measureAttack, measureOffload, requestsPerSegment, type SwarmTarget } from './origin-scenarios.js';

/**
 * Shoal in front of an origin that knows nothing of it: Debian nginx serving what Debian ffmpeg writes live
 * into a folder (no caching headers, no digests). Viewers running the SDK core in Node over
 * node-datachannel watch through a Shoal edge, which writes the digests itself: the swarm shares verified
 * segments at about one origin copy each, nginx serves every segment once, and a viewer serving corrupted
 * segments is caught every time and banned.
 */

let origin: StaticLiveOrigin;
let edge: EdgeServer;
let target: SwarmTarget;

beforeAll(async () => {
  origin = await startStaticLiveOrigin({ segmentSeconds: 2, videoKbps: 400 });
  edge = await startEdgeServer(await createEdge({ originUrl: origin.url }, { logger: pino({ level: 'silent' }) }), 0, '127.0.0.1');
  target = { playlistUrl: `${edge.url}${origin.playlistPath}`, trackerUrl: edge.trackerUrl };
  await origin.ready(4);
});

afterAll(async () => {
  await edge?.close();
  await origin?.stop();
});

const isSegment = (uri: string): boolean => /^\/live\/cam\/seg_\d+\.ts$/.test(uri);

describe('Shoal in front of nginx serving ffmpeg output', () => {
  it('serves playlists with a digest for every segment, and the swarm offloads ≥ 90 % of the limit with one origin request per segment', async () => {
    const figures = await measureOffload(target, { viewers: 5, joinGapMs: 1_500, watchMs: 18_000 });
    const log = await origin.requests();
    const perSegment = requestsPerSegment(log, isSegment);
    const counts = [...perSegment.values()];
    console.log(
      `nginx + ffmpeg behind the edge, ${figures.viewers} viewers: offload ${(figures.offloadRatio * 100).toFixed(1)} % of a limit of ${(figures.offloadLimit * 100).toFixed(1)} % ` +
        `(${(figures.shareOfLimit * 100).toFixed(1)} % of the limit) over ${figures.segments} segments; HTTP copies per segment median ${figures.httpCopiesMedian.toFixed(2)}, p95 ${figures.httpCopiesP95.toFixed(2)}; ` +
        `stalls ${figures.stalls}, missed deadlines ${figures.missedDeadlines}; nginx requests per segment: max ${Math.max(...counts)} over ${counts.length} segments`,
    );
    expect(figures.segments).toBeGreaterThanOrEqual(6);
    expect(figures.shareOfLimit).toBeGreaterThanOrEqual(0.9);
    expect(figures.corruptSegments).toBe(0);
    expect(figures.stalls).toBe(0);
    expect(figures.segmentsPlayedMin).toBeGreaterThanOrEqual(6);
    // Coalescing holds with the edge's own fetches: nginx served each segment once, never a 304 or a repeat.
    expect(counts.length).toBeGreaterThanOrEqual(10);
    expect(Math.max(...counts)).toBe(1);
    expect(log.filter((r) => isSegment(r.uri)).every((r) => r.status === 200)).toBe(true);

    // What players get: every segment of the current playlist carries its digest.
    const text = await (await fetch(target.playlistUrl)).text();
    const uris = text.split('\n').filter((line) => line !== '' && !line.startsWith('#'));
    const tags = text.split('\n').filter((line) => parseDigestTag(line) !== undefined);
    expect(uris.length).toBeGreaterThanOrEqual(4);
    expect(tags).toHaveLength(uris.length);
  });

  it('rejects every corrupted segment a malicious viewer serves and bans it, playing every segment intact', async () => {
    const figures = await measureAttack(target, { honest: 4, joinGapMs: 1_000, watchMs: 16_000 });
    console.log(
      `nginx + ffmpeg behind the edge, malicious viewer among ${figures.honestViewers}: ${figures.rejected} corrupted segments rejected, ${figures.corruptPlayed} played; ` +
        `banned by ${figures.bannedAttacker} of the ${figures.receivedCorrupt} viewers it reached; honest offload ${(figures.honestOffloadRatio * 100).toFixed(1)} %`,
    );
    expect(figures.rejected).toBeGreaterThan(0);
    expect(figures.receivedCorrupt).toBeGreaterThan(0);
    expect(figures.corruptPlayed).toBe(0);
    expect(figures.bannedAttacker).toBe(figures.receivedCorrupt);
    expect(figures.wrongBans).toBe(0);
    expect(figures.segmentsPlayedMin).toBeGreaterThanOrEqual(5);
  });
});
