import { analyse, type SwarmFigures } from '../swarm/analysis.js';
import type { HomeViewerResult } from './home-viewer.js';
import { limitAcrossRenditions, renditionFigures, type RenditionFigures } from './rendition-figures.js';
import type { NatKind } from './lab.js';
import type { NetlabOptions } from './netlab-options.js';

/** A network lab run's figures: summed from what the home viewers and the edge's metrics report, and printed as a table. */

export interface PhaseFigures {
  readonly figures: SwarmFigures;
  /** Peer bytes over direct paths / all segment bytes (relayed peer bytes are server egress, not offload). */
  readonly offloadRatio: number;
  /** Peer bytes that came through the TURN server, as a share of all segment bytes. */
  readonly relayedShare: number;
  /** Peers connected per viewer at the end. */
  readonly peersPerViewer: number;
  /** Peers banned, by reason (Node viewers: from the engine's peer-banned events). */
  readonly bans: Readonly<Record<string, number>>;
  /** Connections by selected path, counted at each end. */
  readonly paths: Record<string, number>;
  readonly attempts: { readonly ok: number; readonly failed: number };
  readonly pcs: { readonly created: number; readonly open: number };
  /** Offers the tracker relayed, and per connection that opened (each connection counted once). */
  readonly offersRelayed: number | undefined;
  readonly offersPerConnection: number | undefined;
  /** `shoal_player_bytes_total` by source as the edge counted the stats reports. */
  readonly edgeBytes: Record<string, number> | undefined;
  readonly homes: readonly { readonly nat: NatKind; readonly result: HomeViewerResult }[];
  /** Chromium viewers: bytes by rendition, highest bitrate first (one entry with a single rendition). */
  readonly renditions: readonly RenditionFigures[];
  /** Chromium viewers: hls.js level switches per viewer. */
  readonly levelSwitchesPerViewer: number | undefined;
}

export interface NetlabResult {
  readonly options: NetlabOptions;
  readonly machine: string;
  readonly p2p: PhaseFigures;
  readonly httpOnly: PhaseFigures | undefined;
}

export function metricSum(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) sum += Number(line.split(' ').pop());
  }
  return sum;
}

/** Counts the 'banned <peer>: <reason>' lines of home viewers' peer events by reason. */
export function bansByReason(events: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const event of events) {
    const match = / banned \S+: (.*)$/.exec(event);
    if (match) counts[match[1]!] = (counts[match[1]!] ?? 0) + 1;
  }
  return counts;
}

export function summarize(homes: PhaseFigures['homes'], metrics: { before: string; after: string } | undefined, segmentSeconds: number): PhaseFigures {
  const results = homes.map((h) => h.result);
  const figures = analyse(
    results.map((r) => r.report),
    results.flatMap((r) => r.loads),
    results.length,
  );
  const http = results.reduce((sum, r) => sum + r.stats.httpBytes, 0);
  const peer = results.reduce((sum, r) => sum + r.stats.p2pBytes, 0);
  const relayed = results.reduce((sum, r) => sum + r.stats.p2pRelayBytes, 0);
  const paths: Record<string, number> = {};
  for (const r of results) for (const [path, count] of Object.entries(r.stats.connectionPaths)) paths[path] = (paths[path] ?? 0) + count;
  const attempts = { ok: results.reduce((s, r) => s + r.stats.connectionAttempts.ok, 0), failed: results.reduce((s, r) => s + r.stats.connectionAttempts.failed, 0) };
  const delta = (name: string, labels: Record<string, string>): number | undefined =>
    metrics ? metricSum(metrics.after, name, labels) - metricSum(metrics.before, name, labels) : undefined;
  const offersRelayed = delta('shoal_tracker_messages_total', { type: 'offer', direction: 'out' });
  const connections = attempts.ok / 2;
  return {
    figures,
    offloadRatio: http + peer === 0 ? 0 : (peer - relayed) / (http + peer),
    relayedShare: http + peer === 0 ? 0 : relayed / (http + peer),
    peersPerViewer: results.reduce((s, r) => s + r.report.peers, 0) / Math.max(1, results.length),
    bans: bansByReason(results.flatMap((r) => r.peerEvents ?? [])),
    paths,
    attempts,
    pcs: { created: results.reduce((s, r) => s + r.pcs.created, 0), open: results.reduce((s, r) => s + r.pcs.open, 0) },
    offersRelayed,
    offersPerConnection: offersRelayed === undefined ? undefined : connections > 0 ? offersRelayed / connections : Infinity,
    edgeBytes: metrics
      ? Object.fromEntries(['http', 'p2p', 'p2p_relay'].map((source) => [source, delta('shoal_player_bytes_total', { source }) ?? 0]))
      : undefined,
    homes,
    renditions: renditionFigures(results.flatMap((r) => (r.renditions ? [r.renditions] : [])), segmentSeconds),
    levelSwitchesPerViewer: results.every((r) => r.levelSwitches !== undefined) ? results.reduce((s, r) => s + r.levelSwitches!, 0) / Math.max(1, results.length) : undefined,
  };
}

const pct = (x: number): string => `${(x * 100).toFixed(1)} %`;
const num = (x: number | undefined, digits = 2): string => (x !== undefined && Number.isFinite(x) ? x.toFixed(digits) : '–');

export function formatNetlab(result: NetlabResult): string {
  const { p2p, httpOnly: base, options } = result;
  const f = p2p.figures;
  const b = base?.figures;
  const paths = (p: PhaseFigures) => ['host', 'srflx', 'prflx', 'relay', 'unknown'].map((k) => `${k} ${p.paths[k] ?? 0}`).join(', ');
  const rows: [string, string, string][] = [
    ['offload ratio (direct peer bytes)', pct(p2p.offloadRatio), base ? pct(base.offloadRatio) : '–'],
    ['theoretical limit', pct(f.offloadLimit), '–'],
    ['offload / limit', pct(f.offloadLimit === 0 ? 0 : p2p.offloadRatio / f.offloadLimit), '–'],
    ['relayed peer bytes (TURN, not offload)', pct(p2p.relayedShare), '–'],
    ['HTTP copies per segment, median / p95', `${num(f.httpCopiesMedian)} / ${num(f.httpCopiesP95)}`, b ? `${num(b.httpCopiesMedian)} / ${num(b.httpCopiesP95)}` : '–'],
    ['stalls per viewer', num(f.stallsPerViewer), b ? num(b.stallsPerViewer) : '–'],
    ['stall seconds per viewer', num(f.stallSecondsPerViewer), b ? num(b.stallSecondsPerViewer) : '–'],
    ['viewers with a stall', String(f.viewersWithStalls), b ? String(b.viewersWithStalls) : '–'],
    ['startup p50 / p95 (ms)', `${num(f.startupP50Ms, 0)} / ${num(f.startupP95Ms, 0)}`, b ? `${num(b.startupP50Ms, 0)} / ${num(b.startupP95Ms, 0)}` : '–'],
    ['peers connected per viewer (end)', num(p2p.peersPerViewer), '–'],
    ['peers banned, by reason', Object.entries(p2p.bans).map(([reason, n]) => `${reason} ${n}`).join(', ') || 'none', '–'],
    ['upload sent / peer bytes kept (discarded / never received)', `${num(f.uploadSentPerKept)} (${num(f.uploadDiscardedPerKept)} / ${num(f.uploadUnreceivedPerKept)})`, '–'],
    ['connection attempts ok / failed', `${p2p.attempts.ok} / ${p2p.attempts.failed}`, '–'],
    ['connections by path (each end)', paths(p2p), '–'],
    ['offers relayed by the tracker', String(p2p.offersRelayed ?? '–'), '–'],
    ['offers per successful connection', num(p2p.offersPerConnection), '–'],
    ['PCs created / open at end', `${p2p.pcs.created} / ${p2p.pcs.open}`, '–'],
    ['integrity failures / corrupt played', `${f.integrityFailures} / ${f.corruptSegments}`, b ? `${b.integrityFailures} / ${b.corruptSegments}` : '–'],
  ];
  if (options.ladder) {
    // The baseline's share of bytes at the same rendition (it may have played other renditions).
    const share = (p: PhaseFigures | undefined, kbps: number): string => {
      const r = p?.renditions.find((candidate) => candidate.kbps === kbps);
      return p ? `${pct(r?.shareOfBytes ?? 0)} of bytes` : '–';
    };
    for (const r of p2p.renditions) {
      rows.push([`rendition ${r.kbps} kbit/s: viewers, offload / its limit, share of bytes`, `${r.viewers}, ${pct(r.offloadRatio)} / ${pct(r.limit)}, ${pct(r.shareOfBytes)}`, share(base, r.kbps)]);
    }
    const limit = limitAcrossRenditions(p2p.renditions);
    rows.push(['limit across renditions (each its own swarm), offload / it', `${pct(limit)}, ${pct(limit === 0 ? 0 : p2p.offloadRatio / limit)}`, '–']);
    for (const r of base?.renditions ?? []) {
      if (!p2p.renditions.some((played) => played.kbps === r.kbps)) rows.push([`rendition ${r.kbps} kbit/s (HTTP only)`, '–', `${pct(r.shareOfBytes)} of bytes`]);
    }
    rows.push(['hls.js level switches per viewer', num(p2p.levelSwitchesPerViewer), base ? num(base.levelSwitchesPerViewer) : '–']);
  }
  if (p2p.edgeBytes) {
    const e = p2p.edgeBytes;
    rows.push(['edge /metrics bytes http / p2p / p2p_relay (MB)', [e.http, e.p2p, e.p2p_relay].map((v) => ((v ?? 0) / 1e6).toFixed(1)).join(' / '), '–']);
  }
  const nats = p2p.homes.map((h) => h.nat);
  const width = Math.max(...rows.map((r) => r[0].length));
  const col = Math.max(14, ...rows.map((r) => r[1].length));
  return [
    `Network lab: ${options.homes} homes (${nats.filter((n) => n === 'eim').length} EIM, ${nats.filter((n) => n === 'sym').length} symmetric NAT), uplink ${options.uplink}, ` +
      `downlink ${options.downlink}, ${options.seconds} s, ${options.ladder ? 'the demo ladder (1200, 700, 300 kbit/s video)' : `${options.videoKbps} kbit/s video`}${options.level === 'auto' ? ', hls.js ABR' : options.level !== undefined ? `, hls.js level ${options.level}` : ''}, ICE from the edge: ${options.turn ? 'STUN + TURN' : options.stun ? 'STUN' : 'none'}, ` +
      `NAT-aware matching ${options.natAwareMatching ? 'on' : 'off'}, ${options.viewer} viewers (${result.machine})`,
    `  ${''.padEnd(width)}  ${'Shoal P2P'.padStart(col)}  ${'HTTP only'.padStart(14)}`,
    ...rows.map(([name, a, c]) => `  ${name.padEnd(width)}  ${a.padStart(col)}  ${c.padStart(14)}`),
  ].join('\n');
}
