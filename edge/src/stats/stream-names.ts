/**
 * The stream label of player metrics: derived from a playlist path (`/live/demo/0/index.m3u8` →
 * `live/demo`), and only for streams this edge has served playlists of, at most `max` of them. Anything
 * else is `other`, so clients cannot grow the number of series by inventing stream names.
 */
export class StreamNames {
  private readonly known = new Set<string>();

  constructor(private readonly max: number) {}

  static nameOf(path: string): string | undefined {
    const parts = path.split('?', 1)[0]!.split('/').filter(Boolean);
    return parts.length >= 3 ? `${parts[0]}/${parts[1]}` : undefined;
  }

  /** Records a playlist the edge served. */
  observe(path: string): void {
    const name = StreamNames.nameOf(path);
    if (name && this.known.size < this.max) this.known.add(name);
  }

  /** The label for a reported stream path. */
  label(path: string): string {
    const name = StreamNames.nameOf(path);
    return name !== undefined && this.known.has(name) ? name : 'other';
  }
}
