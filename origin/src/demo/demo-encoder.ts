import { spawn, type ChildProcess } from 'node:child_process';
import { access, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';

/** One rung of the demo's ABR ladder. */
export interface DemoRendition {
  readonly width: number;
  readonly height: number;
  readonly videoKbps: number;
}

export const DEMO_LADDER: readonly DemoRendition[] = [
  { width: 854, height: 480, videoKbps: 1200 },
  { width: 640, height: 360, videoKbps: 700 },
  { width: 426, height: 240, videoKbps: 300 },
];

export interface DemoEncoderOptions {
  readonly ffmpegPath: string;
  /** Base URL of the origin, e.g. `http://127.0.0.1:8080`. */
  readonly originUrl: string;
  readonly ingestToken: string;
  /** @default 'demo' */
  readonly stream?: string;
  /** Seconds per segment. @default 2 */
  readonly segmentSeconds?: number;
  /** @default DEMO_LADDER */
  readonly ladder?: readonly DemoRendition[];
  /** Stop after this many seconds (tests); forever when absent. */
  readonly durationSeconds?: number;
  readonly log?: Logger;
}

export interface DemoEncoder {
  readonly process: ChildProcess;
  /** Resolves with ffmpeg's exit code. */
  readonly exited: Promise<number | null>;
  stop(): Promise<void>;
}

const FPS = 25;

/** ffmpeg arguments for the live demo: a test pattern with a running clock and a tone, pushed as HLS over PUT. */
export function demoEncoderArgs(options: DemoEncoderOptions): string[] {
  const stream = options.stream ?? 'demo';
  const segment = options.segmentSeconds ?? 2;
  const ladder = options.ladder ?? DEMO_LADDER;
  const top = ladder[0]!;
  // The bundled ffmpeg 4.1 does not pass -headers to HLS segment uploads, so the token goes in the path.
  const base = `${options.originUrl}/ingest/_token/${encodeURIComponent(options.ingestToken)}/${stream}`;
  const split = ladder.map((_, i) => `[s${i}]`).join('');
  const scales = ladder.map((r, i) => `[s${i}]scale=${r.width}:${r.height}[v${i}]`).join(';');
  const args = ['-hide_banner', '-loglevel', 'error', '-nostdin', '-re'];
  // testsrc draws its own running timestamp, so the clock needs no font.
  args.push('-f', 'lavfi', '-i', `testsrc=size=${top.width}x${top.height}:rate=${FPS}`);
  args.push('-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000:beep_factor=4');
  if (options.durationSeconds !== undefined) args.push('-t', String(options.durationSeconds));
  args.push('-filter_complex', `[0:v]split=${ladder.length}${split};${scales}`);
  ladder.forEach((_, i) => args.push('-map', `[v${i}]`));
  ladder.forEach(() => args.push('-map', '1:a'));
  const gop = String(FPS * segment);
  args.push('-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-pix_fmt', 'yuv420p');
  args.push('-g', gop, '-keyint_min', gop, '-sc_threshold', '0');
  ladder.forEach((r, i) => args.push(`-b:v:${i}`, `${r.videoKbps}k`, `-maxrate:v:${i}`, `${r.videoKbps}k`, `-bufsize:v:${i}`, `${r.videoKbps * 2}k`));
  args.push('-c:a', 'aac', '-b:a', '64k', '-ac', '2');
  args.push('-f', 'hls', '-hls_time', String(segment), '-hls_list_size', '6');
  args.push('-hls_flags', 'independent_segments+program_date_time');
  args.push('-method', 'PUT', '-http_persistent', '1');
  args.push('-hls_segment_filename', `${base}/%v/seg_%05d.ts`);
  args.push('-master_pl_name', 'master.m3u8');
  args.push('-var_stream_map', ladder.map((_, i) => `v:${i},a:${i}`).join(' '));
  args.push(`${base}/%v/index.m3u8`);
  return args;
}

function waitForExit(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });
}

/** Starts the live demo encoder; it pushes to the origin through the same ingest path as any encoder. */
export function startDemoEncoder(options: DemoEncoderOptions): DemoEncoder {
  const child = spawn(options.ffmpegPath, demoEncoderArgs(options), { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (text: string) => {
    // ffmpeg 4.1 warns about renames on every HTTP output; the origin publishes atomically anyway.
    const lines = text.split('\n').filter((line) => line.trim() !== '' && !line.includes('Cannot use rename on non file protocol'));
    if (lines.length > 0) options.log?.warn({ ffmpeg: lines.join('\n') }, 'demo encoder says');
  });
  const exited = waitForExit(child);
  return {
    process: child,
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

function run(ffmpegPath: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(ffmpegPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => (stderr = (stderr + text).slice(-2000)));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg exited with ${code}: ${stderr}`))));
  });
}

/**
 * Packages the demo VOD title once into `dir` (kept across runs): two fMP4/CMAF renditions with EXT-X-MAP
 * init segments and a master playlist. Each rendition is a separate ffmpeg run because the bundled
 * ffmpeg 4.1 crashes when fMP4 output is combined with -var_stream_map.
 */
export async function createDemoVod(ffmpegPath: string, dir: string, seconds = 30): Promise<void> {
  const master = join(dir, 'master.m3u8');
  try {
    await access(master);
    return;
  } catch {
    // not packaged yet
  }
  const temp = `${dir}.partial-${process.pid}`;
  await rm(temp, { recursive: true, force: true });
  const renditions = DEMO_LADDER.slice(0, 2);
  for (const [i, r] of renditions.entries()) {
    const out = join(temp, String(i));
    await mkdir(out, { recursive: true });
    await run(ffmpegPath, [
      '-hide_banner', '-loglevel', 'error', '-nostdin',
      '-f', 'lavfi', '-i', `testsrc2=size=${r.width}x${r.height}:rate=${FPS}`,
      '-f', 'lavfi', '-i', 'sine=frequency=330:sample_rate=48000',
      '-t', String(seconds),
      '-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p', '-g', '50', '-keyint_min', '50', '-sc_threshold', '0',
      '-b:v', `${r.videoKbps}k`, '-c:a', 'aac', '-b:a', '64k', '-ac', '2',
      '-f', 'hls', '-hls_time', '2', '-hls_playlist_type', 'vod', '-hls_segment_type', 'fmp4',
      '-hls_fmp4_init_filename', 'init.mp4', '-hls_flags', 'independent_segments',
      '-hls_segment_filename', join(out, 'seg_%03d.m4s'), join(out, 'index.m3u8'),
    ]);
  }
  const variants = renditions.map(
    (r, i) =>
      `#EXT-X-STREAM-INF:BANDWIDTH=${(r.videoKbps + 64) * 1100},RESOLUTION=${r.width}x${r.height},CODECS="avc1.64001f,mp4a.40.2"\n${i}/index.m3u8`,
  );
  await writeFile(join(temp, 'master.m3u8'), ['#EXTM3U', '#EXT-X-VERSION:7', '#EXT-X-INDEPENDENT-SEGMENTS', ...variants, ''].join('\n'));
  await rm(dir, { recursive: true, force: true });
  await rename(temp, dir);
}
