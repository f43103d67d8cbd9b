import { SegmentBuffer } from './segment-buffer.js';

/**
 * Segments held in memory by one player, bounded in bytes. Complete segments are kept for peers that
 * have not fetched them yet and evicted oldest first; segments still loading are never evicted.
 */
export class SegmentStore {
  private readonly entries = new Map<string, SegmentBuffer>();
  private completeBytes = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly maxSegmentBytes: number,
    private readonly onEvict: (swarm: string, segment: number) => void = () => undefined,
  ) {}

  private key(swarm: string, segment: number): string {
    return `${swarm}#${segment}`;
  }

  get(swarm: string, segment: number): SegmentBuffer | undefined {
    return this.entries.get(this.key(swarm, segment));
  }

  /** The buffer for a segment, created empty if there is none yet. */
  open(swarm: string, segment: number): SegmentBuffer {
    const key = this.key(swarm, segment);
    let buffer = this.entries.get(key);
    if (!buffer) {
      buffer = new SegmentBuffer(segment, this.maxSegmentBytes);
      this.entries.set(key, buffer);
    }
    return buffer;
  }

  /** Accounts a buffer that just completed and evicts the oldest complete segments past the budget. */
  completed(swarm: string, buffer: SegmentBuffer): void {
    // Re-insert so that Map order is completion order, oldest first.
    const key = this.key(swarm, buffer.segment);
    this.entries.delete(key);
    this.entries.set(key, buffer);
    this.completeBytes += buffer.received;
    for (const [candidate, entry] of this.entries) {
      if (this.completeBytes <= this.maxBytes) break;
      if (entry.status !== 'complete' || entry === buffer) continue;
      this.entries.delete(candidate);
      this.completeBytes -= entry.received;
      const hash = candidate.lastIndexOf('#');
      this.onEvict(candidate.slice(0, hash), entry.segment);
    }
  }

  delete(swarm: string, segment: number): void {
    const key = this.key(swarm, segment);
    const entry = this.entries.get(key);
    if (!entry) return;
    if (entry.status === 'complete') this.completeBytes -= entry.received;
    this.entries.delete(key);
  }

  /** Bytes of complete segments held. */
  get bytes(): number {
    return this.completeBytes;
  }

  clear(): void {
    this.entries.clear();
    this.completeBytes = 0;
  }
}
