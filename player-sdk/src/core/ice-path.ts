/** How a peer connection's bytes travel: the candidate types of its selected ICE pair. */
export const PATH_TYPES = ['host', 'srflx', 'prflx', 'relay'] as const;
export type PathType = (typeof PATH_TYPES)[number];

interface StatsEntry {
  readonly type?: string;
  readonly id?: string;
  readonly selectedCandidatePairId?: string;
  readonly localCandidateId?: string;
  readonly remoteCandidateId?: string;
  readonly candidateType?: string;
  readonly nominated?: boolean;
  readonly state?: string;
  readonly selected?: boolean;
}

/**
 * The path of the selected candidate pair in a `getStats()` report (browsers and node-datachannel): `relay`
 * when either end is a TURN relay candidate (its bytes cross the TURN server twice: server egress, not
 * offload), else the less direct of the two ends' types. undefined when no pair is selected yet.
 */
export function selectedPath(report: Iterable<StatsEntry>): PathType | undefined {
  const entries = new Map<string, StatsEntry>();
  for (const entry of report) if (entry.id !== undefined) entries.set(entry.id, entry);
  let pair: StatsEntry | undefined;
  for (const entry of entries.values()) {
    if (entry.type === 'transport' && entry.selectedCandidatePairId) pair = entries.get(entry.selectedCandidatePairId);
  }
  if (!pair) {
    for (const entry of entries.values()) {
      if (entry.type === 'candidate-pair' && (entry.selected || (entry.nominated && entry.state === 'succeeded'))) pair = entry;
    }
  }
  if (!pair) return undefined;
  const local = pair.localCandidateId ? entries.get(pair.localCandidateId)?.candidateType : undefined;
  const remote = pair.remoteCandidateId ? entries.get(pair.remoteCandidateId)?.candidateType : undefined;
  const types = [local, remote];
  if (types.includes('relay')) return 'relay';
  if (types.includes('prflx')) return 'prflx';
  if (types.includes('srflx')) return 'srflx';
  return local === 'host' || remote === 'host' ? 'host' : undefined;
}

/** Reads a connection's selected path; undefined when the stats are not available or name no pair. */
export async function readSelectedPath(pc: RTCPeerConnection): Promise<PathType | undefined> {
  try {
    const report = await pc.getStats();
    return selectedPath((report as unknown as Map<string, StatsEntry>).values());
  } catch {
    return undefined;
  }
}
