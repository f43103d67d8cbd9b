/**
 * The bytes of one segment as they arrive, always contiguous from byte 0, so that a transfer can resume
 * from `received` on another source (a peer or HTTP with Range) and so that a player can relay chunks to its
 * own peers while they are still arriving (cut-through). Which source sent which bytes is recorded
 * (`spans`): a copy put together from several peers that fails its digest is pinned on the sender whose
 * bytes differ from the origin's (`contradictedSources`).
 */

/** Bytes [from, to) of a segment and who sent them: 'http' or a peer id. */
export interface SourceSpan {
  readonly from: number;
  to: number;
  readonly source: string;
}

export class SegmentBuffer {
  private data: Uint8Array;
  private length = 0;
  private declaredTotal: number | undefined;
  private readonly waiters = new Set<() => void>();
  /** Bytes by where they came from, for accounting. */
  readonly bytesFrom = { http: 0, p2p: 0 };
  /** Peer bytes this buffer held and threw away (`reset`): sent by peers, kept by nobody. */
  discardedP2p = 0;
  /**
   * Peers whose bytes are in this buffer, to blame if the digest does not match, with whether each said
   * its copy was complete (verified) or was relaying a copy still arriving (cut-through, not verified yet).
   */
  readonly contributors = new Map<string, 'complete' | 'loading'>();
  private spanList: SourceSpan[] = [];
  private state: 'loading' | 'complete' | 'failed' = 'loading';
  /** When loading started, the first byte arrived and the last one did (ms on the engine clock; 0 until then). */
  readonly timing = { start: 0, first: 0, end: 0 };

  constructor(
    readonly segment: number,
    /** Largest total accepted; a source that declares more is refused before anything is allocated. */
    readonly maxBytes: number,
    /** Nothing by default: sources declare the size first (Content-Length, the peer's total), and room for exactly that is made then. */
    initialCapacity = 0,
  ) {
    this.data = new Uint8Array(Math.min(initialCapacity, maxBytes));
  }

  get received(): number {
    return this.length;
  }

  get total(): number | undefined {
    return this.declaredTotal;
  }

  get status(): 'loading' | 'complete' | 'failed' {
    return this.state;
  }

  /** Sets the segment's size once known. False when it is absurd or contradicts an earlier declaration. */
  declareTotal(total: number): boolean {
    if (!Number.isSafeInteger(total) || total < 0 || total > this.maxBytes) return false;
    if (this.declaredTotal !== undefined) return this.declaredTotal === total;
    if (total < this.length) return false;
    this.declaredTotal = total;
    if (this.data.length < total) this.grow(total);
    return true;
  }

  private grow(min: number): void {
    const next = new Uint8Array(Math.min(this.maxBytes, Math.max(min, this.data.length * 2)));
    next.set(this.data.subarray(0, this.length));
    this.data = next;
  }

  /**
   * Appends bytes that start exactly at `offset === received`. Returns false (and keeps nothing) for a
   * gap, an overlap, or bytes beyond the declared total or the maximum.
   */
  append(offset: number, bytes: Uint8Array, from: 'http' | 'p2p', peer?: { id: string; claimed: 'complete' | 'loading' }): boolean {
    if (this.state !== 'loading' || offset !== this.length) return false;
    const end = offset + bytes.length;
    if (end > (this.declaredTotal ?? this.maxBytes)) return false;
    if (end > this.data.length) this.grow(end);
    this.data.set(bytes, offset);
    this.length = end;
    this.bytesFrom[from] += bytes.length;
    const source = peer?.id ?? 'http';
    const last = this.spanList[this.spanList.length - 1];
    if (last?.source === source) last.to = end;
    else this.spanList.push({ from: offset, to: end, source });
    if (peer !== undefined && this.contributors.get(peer.id) !== 'complete') this.contributors.set(peer.id, peer.claimed);
    this.notify();
    return true;
  }

  /** True when every declared byte has arrived. */
  get filled(): boolean {
    return this.declaredTotal !== undefined && this.length === this.declaredTotal;
  }

  /** The received bytes (a view; do not modify). */
  bytes(): Uint8Array {
    return this.data.subarray(0, this.length);
  }

  /** Bytes from `offset` to what has arrived so far (a view). */
  slice(offset: number, end = this.length): Uint8Array {
    return this.data.subarray(offset, Math.min(end, this.length));
  }

  markComplete(): void {
    this.state = 'complete';
    // Drop spare capacity: complete segments sit in memory for a while.
    if (this.data.length !== this.length) this.data = this.data.slice(0, this.length);
    this.notify();
  }

  /** Who sent which bytes, in order (a copy; the spans of the bytes held now). */
  spans(): SourceSpan[] {
    return this.spanList.map((span) => ({ ...span }));
  }

  /**
   * Discards every byte (they proved false, or their sender withdrew them); the buffer can be filled again
   * from zero. Peers relaying from it are told their copy is void (Peer.pump).
   */
  reset(): void {
    this.discardedP2p += this.bytesFrom.p2p;
    this.length = 0;
    this.declaredTotal = undefined;
    this.bytesFrom.http = 0;
    this.bytesFrom.p2p = 0;
    this.contributors.clear();
    this.spanList = [];
    this.timing.first = 0;
    this.state = 'loading';
    this.notify();
  }

  markFailed(): void {
    this.state = 'failed';
    this.notify();
  }

  /** Calls `listener` after every change until it is removed with the returned function. */
  subscribe(listener: () => void): () => void {
    this.waiters.add(listener);
    return () => this.waiters.delete(listener);
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}

/**
 * The peers whose bytes in `suspect` (a copy that failed its digest, with who sent what) differ from
 * `truth`, the origin's verified copy: the senders of the bad bytes, and no one else.
 */
export function contradictedSources(suspect: Uint8Array, spans: readonly SourceSpan[], truth: Uint8Array): string[] {
  const liars = new Set<string>();
  for (const { from, to, source } of spans) {
    if (source === 'http' || liars.has(source)) continue;
    if (to > truth.length) {
      liars.add(source);
      continue;
    }
    for (let i = from; i < to; i++) {
      if (suspect[i] !== truth[i]) {
        liars.add(source);
        break;
      }
    }
  }
  return [...liars];
}
