import type { Clock, TimerHandle } from '../util/clock.js';

/** How long a relaying peer has to retract a copy that failed its own verification. */
export const RETRACT_WINDOW_MS = 2_000;
/** Relayed copies a peer may see proved false (and retract) before it is banned all the same. */
export const MAX_FAILED_RELAYS = 2;
/** Peers whose failed relays are remembered (oldest forgotten first). */
const MAX_TRACKED_PEERS = 1024;

/** What the judge needs from its swarm. */
export interface RelayJudgeHost {
  readonly clock: Clock;
  /** Whether the peer, if still connected, announced dropping `sequence`. */
  retracted(peerId: string, sequence: number): boolean;
  ban(peerId: string, reason: string): void;
}

/**
 * Judges the peers whose bytes proved false, across their reconnections. A peer that vouched for a complete
 * copy is banned. One relaying a copy still arriving (cut-through) could not have checked it yet: if its own
 * check fails it retracts the copy ('dropped') and is innocent once; if it does not retract within the
 * window, it lied. A peer whose relays fail more than MAX_FAILED_RELAYS times is banned all the same: the
 * exemption has a limit.
 */
export class RelayJudge {
  /** Relayed copies of each peer that proved false, across its reconnections. */
  private readonly failedRelays = new Map<string, number>();
  private readonly judgements = new Set<TimerHandle>();

  constructor(private readonly host: RelayJudgeHost) {}

  punish(peerId: string, claimed: 'complete' | 'loading', sequence: number, what: string): void {
    const failed = (this.failedRelays.get(peerId) ?? 0) + 1;
    if (claimed === 'complete') this.host.ban(peerId, what);
    else if (failed > MAX_FAILED_RELAYS) this.host.ban(peerId, 'false relays');
    else {
      this.failedRelays.delete(peerId);
      this.failedRelays.set(peerId, failed);
      if (this.failedRelays.size > MAX_TRACKED_PEERS) this.failedRelays.delete(this.failedRelays.keys().next().value!);
      this.judgeRelay(peerId, sequence);
    }
  }

  private judgeRelay(peerId: string, sequence: number): void {
    const timer = this.host.clock.setTimeout(() => {
      this.judgements.delete(timer);
      // A peer that left within the window retracted nothing: leaving must not be a way out of the judgement.
      if (!this.host.retracted(peerId, sequence)) this.host.ban(peerId, 'kept a false relay');
    }, RETRACT_WINDOW_MS);
    this.judgements.add(timer);
  }

  destroy(): void {
    for (const timer of this.judgements) this.host.clock.clearTimeout(timer);
    this.judgements.clear();
  }
}
