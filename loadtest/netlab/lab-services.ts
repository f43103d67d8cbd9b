import type { ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EdgeOptions } from '@shoal/edge';
import type { ServicesReady, ServicesTask } from './internet-services.js';
import { INTERNET_ADDRESS, type NetLab } from './lab.js';
import type { NetlabOptions } from './netlab-options.js';

/** What runs on the lab internet: coturn, origin and edge, the demo page; and a way to reach them from a home. */

const DEMO_PAGE_SERVER = fileURLToPath(new URL('../../player-sdk/demo/serve.mjs', import.meta.url));
const SERVICES = fileURLToPath(new URL('./internet-services.ts', import.meta.url));
const TURN_SECRET = 'netlab-turn-secret';

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
export async function startServices(lab: NetLab, edge: Partial<EdgeOptions>, options: Pick<NetlabOptions, 'segmentSeconds' | 'videoKbps' | 'ladder'>): Promise<{ ready: ServicesReady; child: ChildProcess }> {
  const task: ServicesTask = { address: INTERNET_ADDRESS, edge, segmentSeconds: options.segmentSeconds, videoKbps: options.videoKbps, ladder: options.ladder, readySegments: 4 };
  const child = lab.spawnIn(lab.internet, process.execPath, ['--import', 'tsx', SERVICES, JSON.stringify(task)]);
  const line = await firstLine(child, 90_000);
  return { ready: JSON.parse(line) as ServicesReady, child };
}

/** Serves the demo page (the embedding player-sdk/README.md shows) on the lab internet; resolves with its URL. */
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
