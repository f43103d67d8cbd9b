import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';

/**
 * A third-party origin as many broadcasters run one: Debian's nginx serving a folder that Debian's ffmpeg
 * writes a live HLS stream into. No Shoal code on the origin side, no caching headers, no digests. Each
 * runs in the foreground in a temporary folder (config, pid, logs, temp files) removed on stop.
 */

export const NGINX_PATH = '/usr/sbin/nginx';
export const DEBIAN_FFMPEG_PATH = '/usr/bin/ffmpeg';

export interface StaticLiveOrigin {
  /** nginx's base URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** Path of the live media playlist, e.g. `/live/cam/index.m3u8`. */
  readonly playlistPath: string;
  /** The folder nginx serves (and ffmpeg writes into). */
  readonly root: string;
  /** GET requests nginx logged so far, by request URI, with their statuses. */
  requests(): Promise<{ uri: string; status: number }[]>;
  /** Waits until the playlist names at least `segments` segments. */
  ready(segments: number, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export interface StaticLiveOriginOptions {
  /** Seconds per segment. @default 2 */
  readonly segmentSeconds?: number;
  /** Video bitrate in kbit/s. @default 400 */
  readonly videoKbps?: number;
  /** Segments in the playlist. @default 6 */
  readonly listSize?: number;
}

function nginxConfig(dir: string, root: string, port: number): string {
  return `daemon off;
master_process off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 512; }
http {
  log_format requests '$request_method $request_uri $status $body_bytes_sent';
  access_log ${dir}/access.log requests;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  types {
    application/vnd.apple.mpegurl m3u8;
    video/mp2t ts;
  }
  default_type application/octet-stream;
  sendfile on;
  keepalive_timeout 30;
  server {
    listen 127.0.0.1:${port};
    root ${root};
    location / { }
  }
}
`;
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

async function stopChild(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited(child);
  clearTimeout(timer);
}

/** Starts nginx on a free loopback port and ffmpeg writing `live/cam/` under its root. */
export async function startStaticLiveOrigin(options: StaticLiveOriginOptions = {}): Promise<StaticLiveOrigin> {
  const dir = await mkdtemp(join(tmpdir(), 'shoal-static-origin-'));
  const root = join(dir, 'www');
  const stream = join(root, 'live', 'cam');
  await mkdir(stream, { recursive: true });
  const port = await freePort();
  const conf = join(dir, 'nginx.conf');
  await writeFile(conf, nginxConfig(dir, root, port));
  const output: string[] = [];
  const nginx = spawn(NGINX_PATH, ['-p', dir, '-c', conf, '-e', join(dir, 'error.log')], { stdio: ['ignore', 'pipe', 'pipe'] });
  nginx.stdout!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
  nginx.stderr!.on('data', (chunk: Buffer) => output.push(chunk.toString()));

  const segment = options.segmentSeconds ?? 2;
  const kbps = options.videoKbps ?? 400;
  const gop = String(25 * segment);
  const ffmpeg = spawn(
    DEBIAN_FFMPEG_PATH,
    [
      ...['-hide_banner', '-loglevel', 'error', '-nostdin', '-re'],
      ...['-f', 'lavfi', '-i', 'testsrc=size=426x240:rate=25', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000:beep_factor=4'],
      ...['-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-pix_fmt', 'yuv420p', '-g', gop, '-keyint_min', gop, '-sc_threshold', '0'],
      ...['-b:v', `${kbps}k`, '-maxrate', `${kbps}k`, '-bufsize', `${kbps * 2}k`, '-c:a', 'aac', '-b:a', '64k', '-ac', '2'],
      ...['-f', 'hls', '-hls_time', String(segment), '-hls_list_size', String(options.listSize ?? 6)],
      // temp_file: segments and playlists appear whole (renamed into place), as a packager must publish them.
      ...['-hls_flags', 'delete_segments+temp_file+independent_segments', '-hls_segment_filename', join(stream, 'seg_%05d.ts')],
      join(stream, 'index.m3u8'),
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  ffmpeg.stderr!.on('data', (chunk: Buffer) => output.push(chunk.toString()));

  const url = `http://127.0.0.1:${port}`;
  const playlistPath = '/live/cam/index.m3u8';
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await stopChild(ffmpeg, 'SIGINT');
    await stopChild(nginx, 'SIGQUIT');
    await rm(dir, { recursive: true, force: true });
  };

  const origin: StaticLiveOrigin = {
    url,
    playlistPath,
    root,
    async requests() {
      const text = await readFile(join(dir, 'access.log'), 'utf8').catch(() => '');
      return text
        .split('\n')
        .filter((line) => line.startsWith('GET '))
        .map((line) => {
          const [, uri, status] = line.split(' ');
          return { uri: uri!, status: Number(status) };
        });
    },
    async ready(segments, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        if (nginx.exitCode !== null || ffmpeg.exitCode !== null) throw new Error(`nginx or ffmpeg exited:\n${output.join('')}`);
        const text = await readFile(join(stream, 'index.m3u8'), 'utf8').catch(() => '');
        if ((text.match(/#EXTINF/g) ?? []).length >= segments) return;
        if (Date.now() > deadline) throw new Error(`the live stream did not start within ${timeoutMs} ms:\n${output.join('')}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    },
    stop,
  };
  try {
    // nginx answers once it listens.
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (nginx.exitCode !== null) throw new Error(`nginx exited:\n${output.join('')}`);
      const res = await fetch(`${url}/`).catch(() => undefined);
      if (res) break;
      if (Date.now() > deadline) throw new Error(`nginx did not listen:\n${output.join('')}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return origin;
}
