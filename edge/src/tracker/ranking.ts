/** Where a peer is and what it plays: everything nearby matching looks at. */
export interface PeerProfile {
  /** `networkKey()` of the viewer's address: the /24 (IPv4) or /48 (IPv6). */
  readonly network: string;
  /** Autonomous system number from the GeoIP database, when one is configured and knows the address. */
  readonly asn: number | undefined;
  /** ISO country code from the GeoIP database, likewise. */
  readonly country: string | undefined;
  /** The edge region of the node the viewer is connected to. */
  readonly region: string;
  /** Playback position in seconds (see `ShoalAnnounceExtension.position`), undefined for plain WebTorrent clients. */
  readonly position: number | undefined;
  /** Tracker clock (ms) when `position` was announced. */
  readonly positionAt: number;
  /** Whether the position advances with wall-clock time. */
  readonly playing: boolean;
}

/** How near two peers are, best first. Lower is nearer. */
export const CLOSENESS = { network: 0, asn: 1, country: 2, region: 3, any: 4 } as const;
export type Closeness = (typeof CLOSENESS)[keyof typeof CLOSENESS];

export function closeness(a: PeerProfile, b: PeerProfile): Closeness {
  if (a.network === b.network) return CLOSENESS.network;
  if (a.asn !== undefined && a.asn === b.asn) return CLOSENESS.asn;
  if (a.country !== undefined && a.country === b.country) return CLOSENESS.country;
  if (a.region === b.region) return CLOSENESS.region;
  return CLOSENESS.any;
}

/** The position now, extrapolated from the announce while playing; undefined when unknown. */
export function currentPosition(profile: PeerProfile, now: number): number | undefined {
  if (profile.position === undefined) return undefined;
  return profile.playing ? profile.position + Math.max(0, now - profile.positionAt) / 1000 : profile.position;
}

/** Seconds between two peers' current positions; Infinity when either is unknown, so known positions win ties. */
export function positionDistance(a: PeerProfile, b: PeerProfile, now: number): number {
  const pa = currentPosition(a, now);
  const pb = currentPosition(b, now);
  return pa === undefined || pb === undefined ? Infinity : Math.abs(pa - pb);
}

/**
 * Orders candidates for receiving the announcer's offers and keeps the best `want`: nearest network tier first
 * (same /24 or /48 > same ASN > same country > same edge region > anyone), then the pair's reachability
 * penalty when `penaltyOf` is given (see `pairPenalty`: pairs likely to connect first), then nearest playback
 * position, then a random draw. Pure: the same inputs and the same `random` give the same answer.
 *
 * @example
 * const targets = rankCandidates(me.profile, candidates, offers.length, Date.now(), Math.random);
 */
export function rankCandidates<T extends { readonly profile: PeerProfile }>(
  announcer: PeerProfile,
  candidates: readonly T[],
  want: number,
  now: number,
  random: () => number,
  penaltyOf?: (candidate: T) => number,
): T[] {
  if (want <= 0 || candidates.length === 0) return [];
  const keyed = candidates.map((candidate) => ({
    candidate,
    tier: closeness(announcer, candidate.profile),
    penalty: penaltyOf ? penaltyOf(candidate) : 0,
    distance: positionDistance(announcer, candidate.profile, now),
    draw: random(),
  }));
  keyed.sort((a, b) => a.tier - b.tier || a.penalty - b.penalty || (a.distance === b.distance ? 0 : a.distance < b.distance ? -1 : 1) || a.draw - b.draw);
  const out: T[] = new Array<T>(Math.min(want, keyed.length));
  for (let i = 0; i < out.length; i++) out[i] = keyed[i]!.candidate;
  return out;
}
