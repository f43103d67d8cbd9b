import { randomBytes } from 'node:crypto';

export interface LivePublisherOptions {
  /** Origin base URL, e.g. http://127.0.0.1:8080. */
  readonly originUrl: string;
  readonly token: string;
  /** Stream name: served at /live/<stream>/master.m3u8. */
  readonly stream: string;
  readonly segmentSeconds: number;
  readonly segmentBytes: number;
  readonly variants: number;
}

/**
 * A live stream pushed into a real origin over its ingest API, as an encoder does (segment PUT, then the
 * media playlist naming it), one segment per `segmentSeconds` of wall clock, with synthetic bytes: a live
 * source for load tests that costs no encoding CPU. `freeze()` stops the stream without ending it, as a
 * stuck encoder does: the playlist stays, no new segment comes.
 */
export class LivePublisher {
  private sequence = 0;
  private timer: NodeJS.Timeout | undefined;
  private pushing: Promise<void> = Promise.resolve();
  private failure: Error | undefined;

  constructor(private readonly options: LivePublisherOptions) {}

  /** Publishes the master playlist and `initialSegments` segments per variant, then one more per segment duration. */
  async start(initialSegments = 4): Promise<void> {
    const { variants, segmentSeconds, stream } = this.options;
    const lines = ['#EXTM3U', '#EXT-X-VERSION:3'];
    for (let v = 0; v < variants; v++) lines.push(`#EXT-X-STREAM-INF:BANDWIDTH=${(v + 1) * 400_000},RESOLUTION=${320 * (v + 1)}x${180 * (v + 1)}`, `${v}/index.m3u8`);
    await this.put(`${stream}/master.m3u8`, lines.join('\n') + '\n');
    for (let i = 0; i < initialSegments; i++) await this.pushSegment();
    this.timer = setInterval(() => {
      this.pushing = this.pushing.then(() => this.pushSegment()).catch((error: Error) => {
        this.failure ??= error;
      });
    }, segmentSeconds * 1000);
  }

  /** The first error a push met, if any: a test checks it, so that a broken publisher cannot pass for a frozen stream. */
  get error(): Error | undefined {
    return this.failure;
  }

  get segmentsPublished(): number {
    return this.sequence;
  }

  /** No new segments from now on; the published playlists stay as they are. */
  async freeze(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.pushing;
  }

  private async pushSegment(): Promise<void> {
    const { variants, segmentSeconds, segmentBytes, stream } = this.options;
    const sequence = this.sequence;
    for (let v = 0; v < variants; v++) {
      await this.put(`${stream}/${v}/seg${sequence}.ts`, new Uint8Array(randomBytes(segmentBytes)));
      const first = Math.max(0, sequence - 5);
      const lines = ['#EXTM3U', '#EXT-X-VERSION:3', `#EXT-X-TARGETDURATION:${Math.ceil(segmentSeconds)}`, `#EXT-X-MEDIA-SEQUENCE:${first}`];
      for (let s = first; s <= sequence; s++) lines.push(`#EXTINF:${segmentSeconds.toFixed(3)},`, `seg${s}.ts`);
      await this.put(`${stream}/${v}/index.m3u8`, lines.join('\n') + '\n');
    }
    this.sequence = sequence + 1;
  }

  private async put(path: string, body: string | Uint8Array<ArrayBuffer>): Promise<void> {
    const res = await fetch(`${this.options.originUrl}/ingest/${path}`, { method: 'PUT', headers: { Authorization: `Bearer ${this.options.token}` }, body });
    await res.arrayBuffer();
    if (!res.ok) throw new Error(`ingest PUT ${path} answered ${res.status}`);
  }
}
