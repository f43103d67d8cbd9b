/**
 * When the player last used each rendition (its playlist or one of its segments) and its segment loads in
 * progress: which swarms a player that moved on (ABR switched away) no longer needs.
 */
export class RenditionUse {
  private readonly renditions = new Map<string, { lastUsed: number; loading: number }>();

  /** The player used rendition `key` at `now`. */
  used(key: string, now: number): void {
    const use = this.renditions.get(key);
    if (use) use.lastUsed = Math.max(use.lastUsed, now);
    else this.renditions.set(key, { lastUsed: now, loading: 0 });
  }

  /** A segment load of `key` began; the returned function ends it (at the time given). */
  loading(key: string, now: number): (now: number) => void {
    this.used(key, now);
    const use = this.renditions.get(key)!;
    use.loading++;
    return (end) => {
      use.loading--;
      use.lastUsed = Math.max(use.lastUsed, end);
    };
  }

  /**
   * Forgets and returns the renditions unused for `limitMs` at `now` with nothing loading. Only asked while
   * the player uses another one: a paused player leaves nothing.
   */
  takeUnused(now: number, limitMs: number): string[] {
    const unused: string[] = [];
    for (const [key, use] of this.renditions) {
      if (use.loading > 0 || now - use.lastUsed < limitMs) continue;
      this.renditions.delete(key);
      unused.push(key);
    }
    return unused;
  }

  clear(): void {
    this.renditions.clear();
  }
}
