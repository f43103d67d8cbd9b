/**
 * NAT-aware matching: what the tracker learns about whether peers can reach each other, and the pure
 * decisions drawn from it. Peers report their connection outcomes in the announce extension (`reach`, and the
 * peers they failed with); a pair that failed is not offered again, and peers every attempt of which failed
 * (typically behind a symmetric NAT, without TURN) are paired with peers that do connect before each other.
 */

/** What one member told the tracker about its connection attempts. */
export interface Reachability {
  /** Connections that opened, since the peer joined. */
  readonly ok: number;
  /** Attempts that failed after an answer was exchanged. */
  readonly failed: number;
  /** Peer ids this peer failed to connect to (most recent last, bounded). */
  readonly failedWith: ReadonlySet<string>;
}

export const REACH_CLASS = { reachable: 0, unknown: 1, hard: 2 } as const;
export type ReachClass = (typeof REACH_CLASS)[keyof typeof REACH_CLASS];

/** Failed attempts, with none that opened, after which a peer counts as hard to reach. */
export const HARD_AFTER_FAILURES = 2;
/** Peer ids remembered per member as failed partners. */
export const MAX_FAILED_PARTNERS = 64;

export function reachClass(reach: Reachability | undefined): ReachClass {
  if (reach === undefined) return REACH_CLASS.unknown;
  if (reach.ok > 0) return REACH_CLASS.reachable;
  return reach.failed >= HARD_AFTER_FAILURES ? REACH_CLASS.hard : REACH_CLASS.unknown;
}

/** Whether either peer reported failing to connect to the other: then an offer between them is wasted. */
export function pairFailed(aId: string, a: Reachability | undefined, bId: string, b: Reachability | undefined): boolean {
  return (a?.failedWith.has(bId) ?? false) || (b?.failedWith.has(aId) ?? false);
}

/**
 * How unlikely a pair is to connect, 0 best: two hard-to-reach peers last (they need a relay), a hard one
 * with a peer not known yet next, everything else alike.
 */
export function pairPenalty(a: Reachability | undefined, b: Reachability | undefined): number {
  const ca = reachClass(a);
  const cb = reachClass(b);
  if (ca === REACH_CLASS.hard && cb === REACH_CLASS.hard) return 2;
  if ((ca === REACH_CLASS.hard && cb === REACH_CLASS.unknown) || (cb === REACH_CLASS.hard && ca === REACH_CLASS.unknown)) return 1;
  return 0;
}

/**
 * The member's reachability after an announce: the reported counters (cumulative, so the latest wins) and the
 * newly reported failed partners added to the remembered ones, oldest forgotten first.
 */
export function updateReachability(
  previous: Reachability | undefined,
  reported: { readonly ok: number; readonly failed: number } | undefined,
  failedPeers: readonly string[] | undefined,
): Reachability | undefined {
  if (reported === undefined && (failedPeers === undefined || failedPeers.length === 0)) return previous;
  const failedWith = new Set(previous?.failedWith);
  for (const id of failedPeers ?? []) {
    failedWith.delete(id);
    failedWith.add(id);
  }
  while (failedWith.size > MAX_FAILED_PARTNERS) failedWith.delete(failedWith.values().next().value!);
  return { ok: reported?.ok ?? previous?.ok ?? 0, failed: reported?.failed ?? previous?.failed ?? 0, failedWith };
}
