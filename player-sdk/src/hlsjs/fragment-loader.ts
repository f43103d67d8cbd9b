import type { FragmentLoaderContext, Loader, LoaderCallbacks, LoaderConfiguration, LoaderStats } from 'hls.js';
import type { ShoalEngine } from '../core/engine.js';
import { transferMsForEstimate } from '../core/abr-sample.js';
import { ShoalError } from '../core/errors.js';
import { segmentRefOf } from './segment-ref.js';

function emptyStats(): LoaderStats {
  return {
    aborted: false,
    loaded: 0,
    retry: 0,
    total: 0,
    chunkCount: 0,
    bwEstimate: 0,
    loading: { start: 0, first: 0, end: 0 },
    parsing: { start: 0, end: 0 },
    buffering: { start: 0, first: 0, end: 0 },
  };
}

/**
 * Errors that plain hls.js would have met too (the origin answered an error status, the network failed)
 * reach hls.js, whose retry policy handles them; anything else is a fault of Shoal's and must not.
 */
function isInternalFault(error: unknown): boolean {
  return !(error instanceof ShoalError && (error.code === 'SHOAL_ERR_HTTP' || error.code === 'SHOAL_ERR_DESTROYED'));
}

export type FragmentLoaderClass = new (config: unknown) => Loader<FragmentLoaderContext>;

/**
 * An hls.js fragment loader (`fLoader`) that asks the engine for media segments. The engine decides
 * between peers and HTTP from the time left before the player needs the segment (`msUntilNeeded`). Init
 * segments and anything without a media sequence number go over plain HTTP, through the engine's `fetch`.
 * `bandwidthEstimate` (hls.js' own, bit/s) keeps slow peer transfers from dragging it down (`abr-sample.ts`).
 */
export function createFragmentLoader(engine: ShoalEngine, msUntilNeeded: () => number, bandwidthEstimate: () => number | undefined = () => undefined): FragmentLoaderClass {
  return class ShoalFragmentLoader implements Loader<FragmentLoaderContext> {
    context: FragmentLoaderContext | null = null;
    stats: LoaderStats = emptyStats();
    private finished = false;
    private controller: AbortController | undefined;

    load(context: FragmentLoaderContext, _config: LoaderConfiguration, callbacks: LoaderCallbacks<FragmentLoaderContext>): void {
      this.context = context;
      this.stats = emptyStats();
      this.finished = false;
      const now = engine.options.clock.now();
      // Until the bytes are in, the load counts from the request (hls.js watches it for emergency switches).
      this.stats.loading.start = now;
      const loading = this.throughEngine(context, now).catch((error: unknown) => {
        // The fault barrier: whatever went wrong inside Shoal, this fragment loads as plain hls.js would load it.
        if (this.finished || !isInternalFault(error)) throw error;
        engine.fault('segment', error);
        return this.plainHttp(context);
      });
      loading.then(
        (result) => {
          if (this.finished) return;
          this.finished = true;
          const end = engine.options.clock.now();
          // hls.js estimates bandwidth from these, so they describe how fast the bytes really streamed in
          // from their source, never the time a segment waited in memory or for its swarm's fetcher:
          // otherwise every player would see a slow network and drop to the lowest rendition, each at its
          // own moment, splitting the swarms.
          const measuredMs = Math.max(0, (result.timing.end || end) - (result.timing.first || end));
          const load = { bytes: result.bytes.length, p2pBytes: result.bytesFrom.p2p, transferMs: measuredMs, inTime: msUntilNeeded() > 0 };
          const transferMs = transferMsForEstimate(load, bandwidthEstimate());
          this.stats.loading.start = this.stats.loading.first = end - transferMs;
          this.stats.loading.end = end;
          this.stats.loaded = this.stats.total = result.bytes.length;
          this.stats.chunkCount = 1;
          const data = result.bytes.slice().buffer;
          callbacks.onSuccess({ url: context.url, data }, this.stats, context, null);
        },
        (error: unknown) => {
          if (this.finished) return;
          this.finished = true;
          this.stats.loading.end = engine.options.clock.now();
          const status = error instanceof ShoalError ? (error.status ?? 0) : 0;
          callbacks.onError({ code: status, text: (error as Error).message }, context, null, this.stats);
        },
      );
    }

    /** The engine's load for media segments; init segments and the like go over plain HTTP. */
    private async throughEngine(context: FragmentLoaderContext, now: number): Promise<{ bytes: Uint8Array; bytesFrom: { http: number; p2p: number }; timing: { start: number; first: number; end: number } }> {
      const segment = segmentRefOf(context.frag);
      if (!segment) return this.plainHttp(context);
      return engine.loadSegment(context.frag.baseurl, segment, now + msUntilNeeded());
    }

    private async plainHttp(context: FragmentLoaderContext) {
      this.controller = new AbortController();
      const headers: Record<string, string> = {};
      if (context.rangeEnd !== undefined) headers.Range = `bytes=${context.rangeStart ?? 0}-${context.rangeEnd - 1}`;
      const response = await engine.fetchImpl(context.url, { headers, signal: this.controller.signal });
      if (!response.ok) throw new ShoalError('SHOAL_ERR_HTTP', `${context.url} answered ${response.status}`, response.status);
      const first = engine.options.clock.now();
      const bytes = new Uint8Array(await response.arrayBuffer());
      const end = engine.options.clock.now();
      return { bytes, bytesFrom: { http: bytes.length, p2p: 0 }, timing: { start: this.stats.loading.start, first, end } };
    }

    abort(): void {
      if (this.finished) return;
      this.finished = true;
      this.stats.aborted = true;
      // A segment the engine is loading goes on loading: peers may want it, and the player may ask again.
      this.controller?.abort();
    }

    destroy(): void {
      this.abort();
      this.context = null;
    }
  };
}
