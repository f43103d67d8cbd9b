import type { ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { EdgeOptions } from '@shoal/edge';
import { machineFacts } from '../bench/machine.js';
import { analyse, type SwarmFigures } from '../swarm/analysis.js';
import type { ChromiumHomeTask } from './chromium-home.js';
import type { HomeViewerResult, HomeViewerTask } from './home-viewer.js';
import type { ServicesReady, ServicesTask } from './internet-services.js';
import { INTERNET_ADDRESS, NetLab, sweepStaleLabs, type HomeSpec, type NatKind } from './lab.js';

/**
 * The network lab run: N homes behind NAT routers on a lab internet holding the origin, the edge and coturn;
 * one SDK viewer (Node, node-datachannel) per home with SDK defaults, then the same homes over HTTP alone as
 * the baseline. Prints a table and writes JSON.
 *
 *   npm run netlab -- --homes 6 --nat eim --uplink 2mbit --downlink 20mbit --seconds 60
 */

export interface NetlabOptions {
  readonly homes: number;
  /** `mixed`: a third of the homes (rounded down) symmetric, the rest endpoint-independent. */
  readonly nat: NatKind | 'mixed';
  readonly uplink: string;
  readonly downlink: string;
  readonly seconds: number;
  /** The edge hands out the lab's STUN server. */
  readonly stun: boolean;
  /** The edge hands out the lab's TURN server too (opt-in). */
  readonly turn: boolean;
  readonly natAwareMatching: boolean;
  readonly videoKbps: number;
  readonly segmentSeconds: number;
  /** Seconds between viewers joining. */
  readonly joinSpacingSeconds: number;
  readonly baseline: boolean;
  /** Viewers: the SDK core in Node (node-datachannel), or the demo page in headless Chromium. */
  readonly viewer: 'node' | 'chromium';
  readonly out: string | undefined;
}

export const DEFAULT_NETLAB_OPTIONS: NetlabOptions = {
  homes: 6,
  nat: 'eim',
  uplink: '2mbit',
  downlink: '20mbit',
  seconds: 60,
  stun: true,
  turn: false,
  natAwareMatching: true,
  videoKbps: 800,
  segmentSeconds: 2,
  joinSpacingSeconds: 1,
  baseline: true,
  viewer: 'node',
  out: undefined,
};

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
}

export interface NetlabResult {
  readonly options: NetlabOptions;
  readonly machine: string;
  readonly p2p: PhaseFigures;
  readonly httpOnly: PhaseFigures | undefined;
}

const HOME_VIEWER = fileURLToPath(new URL('./home-viewer.ts', import.meta.url));
const CHROMIUM_HOME = fileURLToPath(new URL('./chromium-home.ts', import.meta.url));
const DEMO_PAGE_SERVER = fileURLToPath(new URL('../../player-sdk/demo/serve.mjs', import.meta.url));
const SERVICES = fileURLToPath(new URL('./internet-services.ts', import.meta.url));
const TURN_SECRET = 'netlab-turn-secret';

export function homeSpecs(options: Pick<NetlabOptions, 'homes' | 'nat' | 'uplink' | 'downlink'>): HomeSpec[] {
  const symmetric = options.nat === 'sym' ? options.homes : options.nat === 'mixed' ? Math.floor(options.homes / 3) : 0;
  return Array.from({ length: options.homes }, (_, i) => ({
    nat: i >= options.homes - symmetric ? 'sym' : 'eim',
    uplink: options.uplink,
    downlink: options.downlink,
  }));
}

function collect(child: ChildProcess): Promise<{ stdout: string; stderr: string; code: number | null }> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ stdout, stderr, code })));
}

function firstLine(child: ChildProcess, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    let stderr = '';
    const timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms: ${stderr.slice(-500)}`)), timeoutMs);
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const end = buffered.indexOf('\n');
      if (end >= 0) {
        clearTimeout(timer);
        resolve(buffered.slice(0, end));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before answering: ${stderr.slice(-1000)}`));
    });
  });
}

/** Starts coturn in the foreground in the lab internet: STUN for everyone, TURN for credentials the edge signed. */
export function startCoturn(lab: NetLab, logFile?: string): ChildProcess {
  return lab.spawnIn(lab.internet, 'turnserver', [
    '-n',
    `--listening-ip=${INTERNET_ADDRESS}`,
    `--relay-ip=${INTERNET_ADDRESS}`,
    '--listening-port=3478',
    '--use-auth-secret',
    `--static-auth-secret=${TURN_SECRET}`,
    '--realm=shoal.lab',
    '--no-tls',
    '--no-dtls',
    '--no-cli',
    '--fingerprint',
    ...(process.env.SHOAL_NETLAB_TURN_VERBOSE ? ['-V'] : []),
    '--no-stdout-log',
    `--log-file=${logFile ?? '/dev/null'}`,
    '--simple-log',
    `--userdb=${join(tmpdir(), `shoal-netlab-turndb-${process.pid}`)}`,
    `--pidfile=${join(tmpdir(), `shoal-netlab-turn-${process.pid}.pid`)}`,
    // The lab internet is a private range, which coturn may refuse to relay to by default.
    '--allowed-peer-ip=172.31.0.0-172.31.255.255',
    '--min-port=40000',
    '--max-port=49999',
  ], { stdio: 'ignore' });
}

/** Starts origin and edge in the lab internet and waits until the live stream has a few segments. */
export async function startServices(lab: NetLab, edge: Partial<EdgeOptions>, options: Pick<NetlabOptions, 'segmentSeconds' | 'videoKbps'>): Promise<{ ready: ServicesReady; child: ChildProcess }> {
  const task: ServicesTask = { address: INTERNET_ADDRESS, edge, segmentSeconds: options.segmentSeconds, videoKbps: options.videoKbps, readySegments: 4 };
  const child = lab.spawnIn(lab.internet, process.execPath, ['--import', 'tsx', SERVICES, JSON.stringify(task)]);
  const line = await firstLine(child, 90_000);
  return { ready: JSON.parse(line) as ServicesReady, child };
}

/** Serves the demo page (the README's embedding) on the lab internet; resolves with its URL. */
export async function startDemoPage(lab: NetLab, ready: ServicesReady): Promise<string> {
  const child = lab.spawnIn(lab.internet, process.execPath, [
    DEMO_PAGE_SERVER,
    '--port', '0',
    '--host', INTERNET_ADDRESS,
    '--origin-port', new URL(ready.originUrl).port,
    '--edge-port', new URL(ready.edgeUrl).port,
  ]);
  const line = await firstLine(child, 30_000);
  const url = (JSON.parse(line) as { url: string }).url;
  return url.replace('localhost', INTERNET_ADDRESS);
}

/** Edge options for the lab's ICE servers. */
export function labEdgeOptions(options: Pick<NetlabOptions, 'stun' | 'turn' | 'natAwareMatching'>): Partial<EdgeOptions> {
  return {
    stunUrls: options.stun ? [`stun:${INTERNET_ADDRESS}:3478`] : [],
    turnUrls: options.turn ? [`turn:${INTERNET_ADDRESS}:3478?transport=udp`] : [],
    turnSecret: options.turn ? TURN_SECRET : undefined,
    natAwareMatching: options.natAwareMatching,
  };
}

/** GETs a URL from inside a home (the lab internet is not reachable from the host). */
export async function fetchFromHome(lab: NetLab, url: string): Promise<string> {
  return lab.exec(lab.homes[0]!.namespace, 'curl', ['-s', '--max-time', '10', url]);
}

export function metricSum(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) sum += Number(line.split(' ').pop());
  }
  return sum;
}

async function runPhase(lab: NetLab, ready: ServicesReady, options: NetlabOptions, p2p: boolean, pageUrl: string | undefined): Promise<PhaseFigures> {
  const before = p2p ? await fetchFromHome(lab, `${ready.edgeUrl}/metrics`) : '';
  // Viewer processes take a few seconds to start; every viewer reports at the same moment.
  const reportAt = Date.now() + options.seconds * 1000 + 5_000;
  const results = await Promise.all(
    lab.homes.map(async (home, i) => {
      if (pageUrl !== undefined) {
        // The baseline page gets a tracker URL that refuses connections: it plays over HTTP alone.
        const url = p2p ? pageUrl : `${pageUrl}?tracker=${encodeURIComponent(`ws://${INTERNET_ADDRESS}:9/announce`)}`;
        const task: ChromiumHomeTask = {
          id: `home-${home.index}`,
          pageUrl: url,
          joinAtMs: i * options.joinSpacingSeconds * 1000,
          durationMs: options.seconds * 1000,
          reportAt,
          forwardOrigins: [new URL(ready.edgeUrl).origin],
        };
        const child = lab.spawnIn(home.namespace, process.execPath, ['--import', 'tsx', CHROMIUM_HOME, JSON.stringify(task)]);
        const { stdout, stderr, code } = await collect(child);
        if (code !== 0) throw new Error(`browser in home ${home.index} failed (${code}): ${stderr.slice(-1500)}`);
        return { nat: home.nat, result: JSON.parse(stdout) as HomeViewerResult };
      }
      const task: HomeViewerTask = {
        id: `home-${home.index}`,
        playlistUrl: ready.playlistUrl,
        trackerUrl: p2p ? ready.trackerUrl : undefined,
        statsUrl: p2p ? `${ready.edgeUrl}/stats` : undefined,
        joinAtMs: i * options.joinSpacingSeconds * 1000,
        durationMs: options.seconds * 1000,
        reportAt,
        liveSyncSegments: 3,
      };
      const child = lab.spawnIn(home.namespace, process.execPath, ['--import', 'tsx', HOME_VIEWER, JSON.stringify(task)]);
      const { stdout, stderr, code } = await collect(child);
      if (code !== 0) throw new Error(`viewer in home ${home.index} failed (${code}): ${stderr.slice(-1500)}`);
      return { nat: home.nat, result: JSON.parse(stdout) as HomeViewerResult };
    }),
  );
  // The stats reporter's last report has left; give the edge a moment to count it.
  await new Promise((resolve) => setTimeout(resolve, 500));
  const after = p2p ? await fetchFromHome(lab, `${ready.edgeUrl}/metrics`) : '';
  return summarize(results, p2p ? { before, after } : undefined);
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

export function summarize(homes: PhaseFigures['homes'], metrics: { before: string; after: string } | undefined): PhaseFigures {
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
  };
}

/** Builds the lab, runs the P2P phase and the HTTP-only baseline, and removes everything. */
export async function runNetlab(options: NetlabOptions): Promise<NetlabResult> {
  await sweepStaleLabs();
  const lab = await NetLab.create(homeSpecs(options));
  try {
    if (options.stun || options.turn) startCoturn(lab, process.env.SHOAL_NETLAB_TURN_LOG);
    const { ready } = await startServices(lab, labEdgeOptions(options), options);
    const pageUrl = options.viewer === 'chromium' ? await startDemoPage(lab, ready) : undefined;
    const p2p = await runPhase(lab, ready, options, true, pageUrl);
    const httpOnly = options.baseline ? await runPhase(lab, ready, options, false, pageUrl) : undefined;
    return { options, machine: machineFacts(), p2p, httpOnly };
  } finally {
    await lab.destroy();
  }
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
  if (p2p.edgeBytes) {
    const e = p2p.edgeBytes;
    rows.push(['edge /metrics bytes http / p2p / p2p_relay (MB)', [e.http, e.p2p, e.p2p_relay].map((v) => ((v ?? 0) / 1e6).toFixed(1)).join(' / '), '–']);
  }
  const nats = p2p.homes.map((h) => h.nat);
  const width = Math.max(...rows.map((r) => r[0].length));
  const col = Math.max(14, ...rows.map((r) => r[1].length));
  return [
    `Network lab: ${options.homes} homes (${nats.filter((n) => n === 'eim').length} EIM, ${nats.filter((n) => n === 'sym').length} symmetric NAT), uplink ${options.uplink}, ` +
      `downlink ${options.downlink}, ${options.seconds} s, ${options.videoKbps} kbit/s video, ICE from the edge: ${options.turn ? 'STUN + TURN' : options.stun ? 'STUN' : 'none'}, ` +
      `NAT-aware matching ${options.natAwareMatching ? 'on' : 'off'}, ${options.viewer} viewers (${result.machine})`,
    `  ${''.padEnd(width)}  ${'Shoal P2P'.padStart(col)}  ${'HTTP only'.padStart(14)}`,
    ...rows.map(([name, a, c]) => `  ${name.padEnd(width)}  ${a.padStart(col)}  ${c.padStart(14)}`),
  ].join('\n');
}

function fail(message: string): never {
  throw new Error(message);
}

export function parseNetlabOptions(argv: string[]): NetlabOptions & { help: boolean } {
  const { values } = parseArgs({
    args: argv,
    options: {
      homes: { type: 'string' },
      nat: { type: 'string' },
      uplink: { type: 'string' },
      downlink: { type: 'string' },
      seconds: { type: 'string' },
      'no-stun': { type: 'boolean' },
      turn: { type: 'boolean' },
      'nat-aware-matching': { type: 'string' },
      'video-kbps': { type: 'string' },
      'no-baseline': { type: 'boolean' },
      viewer: { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const d = DEFAULT_NETLAB_OPTIONS;
  const number = (text: string | undefined, fallback: number, name: string, min: number, max: number): number => {
    if (text === undefined) return fallback;
    const value = Number(text);
    if (!Number.isFinite(value) || value < min || value > max) throw new Error(`--${name} takes a number from ${min} to ${max}`);
    return value;
  };
  const nat = values.nat ?? d.nat;
  if (nat !== 'eim' && nat !== 'sym' && nat !== 'mixed') throw new Error('--nat takes eim, sym or mixed');
  const matching = values['nat-aware-matching'] ?? 'on';
  if (matching !== 'on' && matching !== 'off') throw new Error('--nat-aware-matching takes on or off');
  return {
    help: values.help ?? false,
    homes: Math.round(number(values.homes, d.homes, 'homes', 2, 40)),
    nat,
    uplink: values.uplink ?? d.uplink,
    downlink: values.downlink ?? d.downlink,
    seconds: number(values.seconds, d.seconds, 'seconds', 10, 600),
    stun: !values['no-stun'],
    turn: values.turn ?? false,
    natAwareMatching: matching === 'on',
    videoKbps: number(values['video-kbps'], d.videoKbps, 'video-kbps', 100, 10_000),
    segmentSeconds: d.segmentSeconds,
    joinSpacingSeconds: d.joinSpacingSeconds,
    baseline: !values['no-baseline'],
    viewer: values.viewer === 'chromium' ? 'chromium' : values.viewer === undefined || values.viewer === 'node' ? 'node' : fail('--viewer takes node or chromium'),
    out: values.out,
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  let options: NetlabOptions & { help: boolean };
  try {
    options = parseNetlabOptions(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`netlab: ${(error as Error).message}\n`);
    process.exit(2);
  }
  if (options.help) {
    process.stdout.write(`Usage: npm run netlab -- [--homes 6] [--nat eim|sym|mixed] [--uplink 2mbit] [--downlink 20mbit] [--seconds 60]
  [--no-stun] [--turn] [--nat-aware-matching on|off] [--video-kbps 800] [--viewer node|chromium] [--no-baseline] [--out file.json]
Needs root (network namespaces, nftables, tc) and coturn's turnserver.
`);
    process.exit(0);
  }
  const result = await runNetlab(options);
  console.log(formatNetlab(result));
  const out = options.out ?? fileURLToPath(new URL('../results/netlab-latest.json', import.meta.url));
  await mkdir(join(out, '..'), { recursive: true });
  await writeFile(out, JSON.stringify(result, null, 2));
  console.log(`  written to ${out}`);
}


