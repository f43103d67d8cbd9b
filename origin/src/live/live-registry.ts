import { readdir } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { OriginOptions } from '../options.js';
import type { ObjectStore } from '../store/object-store.js';
import { LiveStream } from './live-stream.js';

/** All live streams of this origin, restored from the store at start-up. */
export class LiveRegistry {
  private readonly streams = new Map<string, LiveStream>();

  constructor(
    private readonly store: ObjectStore,
    private readonly options: OriginOptions,
    private readonly log: Logger,
  ) {}

  get(name: string): LiveStream | undefined {
    return this.streams.get(name);
  }

  getOrCreate(name: string): LiveStream {
    let stream = this.streams.get(name);
    if (!stream) {
      stream = new LiveStream(name, this.store, this.options, this.log);
      this.streams.set(name, stream);
    }
    return stream;
  }

  all(): LiveStream[] {
    return [...this.streams.values()];
  }

  get size(): number {
    return this.streams.size;
  }

  /** Re-publishes every stream whose state is in the store. */
  async restore(): Promise<void> {
    let names: string[];
    try {
      names = await readdir(this.store.pathOf(['live']));
    } catch {
      return;
    }
    for (const name of names) {
      const stream = new LiveStream(name, this.store, this.options, this.log);
      if (await stream.restore()) {
        this.streams.set(name, stream);
        this.log.info({ stream: name }, 'restored live stream');
      }
    }
  }

  async idle(): Promise<void> {
    await Promise.all(this.all().map((stream) => stream.idle()));
  }
}
