import type { FragmentLoaderContext, LoaderCallbacks, LoaderConfiguration, LoaderStats } from 'hls.js';
import { describe, expect, it } from 'vitest';
import type { ShoalEngine } from '../core/engine.js';
import type { LoadedSegment } from '../core/segment-job.js';
import { createFragmentLoader } from './fragment-loader.js';

/** An engine that answers every media segment with `loaded`, its clock standing at 10 s. */
function engineAnswering(loaded: LoadedSegment): ShoalEngine {
  return { options: { clock: { now: () => 10_000 } }, loadSegment: async () => loaded } as unknown as ShoalEngine;
}

async function statsOf(engine: ShoalEngine, bufferedMs: number, estimate: number | undefined): Promise<LoaderStats> {
  const Loader = createFragmentLoader(engine, () => bufferedMs, () => estimate);
  const frag = { sn: 7, url: 'http://cdn.test/7.ts', baseurl: 'http://cdn.test/index.m3u8', duration: 2, byteRange: [], tagList: [] };
  return new Promise((resolve, reject) => {
    new Loader({}).load({ frag, url: frag.url } as unknown as FragmentLoaderContext, {} as LoaderConfiguration, {
      onSuccess: (_response: unknown, stats: LoaderStats) => resolve(stats),
      onError: (error: { text: string }) => reject(new Error(error.text)),
    } as unknown as LoaderCallbacks<FragmentLoaderContext>);
  });
}

// 250 kB that streamed in over 2 s (1 Mbit/s), first byte at 8 s.
const bytes = new Uint8Array(250_000);
const timing = { start: 7_000, first: 8_000, end: 10_000 };

describe('what the fragment loader tells hls.js about a transfer', () => {
  it('reports a slow peer transfer that arrived in time at hls.js’ own estimate, so ABR does not drop a rendition for it', async () => {
    const stats = await statsOf(engineAnswering({ bytes, bytesFrom: { http: 0, p2p: bytes.length }, timing, verified: true }), 6_000, 5_000_000);
    expect(stats.loading.end - stats.loading.first).toBe(400);
    expect(stats.loaded).toBe(250_000);
  });

  it('reports HTTP transfers and late peer transfers as they streamed', async () => {
    const http = await statsOf(engineAnswering({ bytes, bytesFrom: { http: bytes.length, p2p: 0 }, timing, verified: true }), 6_000, 5_000_000);
    expect(http.loading.end - http.loading.first).toBe(2000);
    const late = await statsOf(engineAnswering({ bytes, bytesFrom: { http: 0, p2p: bytes.length }, timing, verified: true }), 0, 5_000_000);
    expect(late.loading.end - late.loading.first).toBe(2000);
  });
});
