import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import HLS from 'hls-parser';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveFfmpegPath } from '@shoal/origin';
import { digestsOf, rawRequest, sha256Base64Url, startTestOrigin, tempDir, TOKEN, type TestOrigin } from './helpers.js';

/**
 * Real encoders pushing live HLS over HTTP PUT: the ffmpeg 4.1 that npm installs (which cannot send
 * -headers with segment uploads, so it uses the token-in-path form) and Debian's newer ffmpeg (bearer
 * header, persistent connections). While they run, every playlist the origin serves is checked.
 */

const DEBIAN_FFMPEG = '/usr/bin/ffmpeg';

interface Poll {
  readonly mediaSequence: number;
  readonly uris: string[];
}

let origin: TestOrigin | undefined;
let store: Awaited<ReturnType<typeof tempDir>> | undefined;

afterEach(async () => {
  await origin?.close();
  await store?.remove();
  origin = undefined;
  store = undefined;
});

function runFfmpeg(path: string, args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(path, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => (stderr = (stderr + text).slice(-4000)));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stderr }));
  });
}

function sourceArgs(seconds: number): string[] {
  return [
    '-hide_banner', '-loglevel', 'error', '-nostdin', '-re',
    '-f', 'lavfi', '-i', 'testsrc=size=320x180:rate=25',
    '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
    '-t', String(seconds),
  ];
}

function encodeArgs(segmentSeconds: number): string[] {
  const gop = String(25 * segmentSeconds);
  return [
    '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-g', gop, '-keyint_min', gop, '-sc_threshold', '0',
    '-c:a', 'aac', '-b:a', '48k', '-ac', '2',
  ];
}

/** Fetches a media playlist, checks it against a real parser, every segment's existence and digest. */
async function pollAndVerify(port: number, playlistPath: string, verified: Set<string>): Promise<Poll | undefined> {
  const res = await rawRequest(port, 'GET', playlistPath);
  if (res.status === 404) return undefined;
  expect(res.status).toBe(200);
  const text = res.body.toString();
  const parsed = HLS.parse(text) as HLS.types.MediaPlaylist;
  const digests = digestsOf(text);
  const dir = playlistPath.slice(0, playlistPath.lastIndexOf('/') + 1);
  for (const segment of parsed.segments) {
    expect(digests.has(segment.uri), `digest for ${segment.uri}`).toBe(true);
    if (verified.has(dir + segment.uri)) continue;
    const bytes = await rawRequest(port, 'GET', dir + segment.uri);
    expect(bytes.status, `${dir}${segment.uri} is served`).toBe(200);
    expect(sha256Base64Url(bytes.body), `digest of ${segment.uri}`).toBe(digests.get(segment.uri));
    verified.add(dir + segment.uri);
  }
  return { mediaSequence: parsed.mediaSequenceBase ?? 0, uris: parsed.segments.map((s) => s.uri) };
}

/** Polls while the encoder runs, then returns everything observed. */
async function watch(port: number, playlists: string[], encoding: Promise<{ code: number | null; stderr: string }>) {
  const verified = new Set<string>();
  const polls = new Map<string, Poll[]>(playlists.map((p) => [p, []]));
  let done = false;
  const result = encoding.finally(() => (done = true));
  while (!done) {
    for (const path of playlists) {
      const poll = await pollAndVerify(port, path, verified);
      if (poll) polls.get(path)!.push(poll);
    }
    await new Promise((resolve) => setTimeout(resolve, 400));
  }
  const { code, stderr } = await result;
  expect(code, stderr).toBe(0);
  for (const path of playlists) {
    const poll = await pollAndVerify(port, path, verified);
    if (poll) polls.get(path)!.push(poll);
  }
  return { polls, verified };
}

function expectSlidingWindow(polls: Poll[], maxSegments: number): void {
  expect(polls.length).toBeGreaterThan(3);
  const first = polls[0]!;
  const last = polls[polls.length - 1]!;
  expect(last.mediaSequence).toBeGreaterThan(first.mediaSequence);
  for (let i = 1; i < polls.length; i++) expect(polls[i]!.mediaSequence).toBeGreaterThanOrEqual(polls[i - 1]!.mediaSequence);
  for (const poll of polls) expect(poll.uris.length).toBeLessThanOrEqual(maxSegments);
}

describe('live ingest from a real ffmpeg', () => {
  it.each([1, 2])('bundled ffmpeg 4.1, %i s segments, delete_segments, token in the path', async (segmentSeconds) => {
    store = await tempDir('ffmpeg');
    origin = await startTestOrigin({ storeDir: store.path, ingestToken: TOKEN, dvrSeconds: 60 });
    const base = `${origin.url}/ingest/_token/${TOKEN}/cam`;
    const encoding = runFfmpeg(resolveFfmpegPath(), [
      ...sourceArgs(segmentSeconds * 7 + 0.5),
      ...encodeArgs(segmentSeconds),
      '-f', 'hls', '-hls_time', String(segmentSeconds), '-hls_list_size', '3',
      '-hls_flags', 'delete_segments+program_date_time', '-method', 'PUT',
      '-hls_segment_filename', `${base}/seg_%03d.ts`, `${base}/index.m3u8`,
    ]);
    const { polls } = await watch(origin.port, ['/live/cam/index.m3u8'], encoding);
    const seen = polls.get('/live/cam/index.m3u8')!;
    // ffmpeg's own list of 3 (plus its delete threshold) decides the window here.
    expectSlidingWindow(seen, 4);
    const final = HLS.parse((await rawRequest(origin.port, 'GET', '/live/cam/index.m3u8')).body.toString()) as HLS.types.MediaPlaylist;
    expect(final.segments.every((s) => s.programDateTime instanceof Date)).toBe(true);
    // Segments ffmpeg DELETEd are gone.
    expect((await rawRequest(origin.port, 'GET', '/live/cam/seg_000.ts')).status).toBe(404);
    expect((await rawRequest(origin.port, 'GET', '/live/cam/seg_001.ts')).status).toBe(404);
  });

  it('bundled ffmpeg 4.1, ABR ladder with a master playlist; the origin slides a 4 s DVR window itself', async () => {
    store = await tempDir('ffmpeg-abr');
    origin = await startTestOrigin({ storeDir: store.path, ingestToken: TOKEN, dvrSeconds: 4, expiredSegmentsKept: 2 });
    const base = `${origin.url}/ingest/_token/${TOKEN}/abr`;
    const encoding = runFfmpeg(resolveFfmpegPath(), [
      ...sourceArgs(12.5),
      '-filter_complex', '[0:v]split=2[a][b];[b]scale=160:90[b2]',
      '-map', '[a]', '-map', '[b2]', '-map', '1:a', '-map', '1:a',
      ...encodeArgs(1),
      '-b:v:0', '400k', '-b:v:1', '150k',
      '-f', 'hls', '-hls_time', '1', '-hls_list_size', '10', '-method', 'PUT', '-http_persistent', '1',
      '-hls_segment_filename', `${base}/%v/seg_%03d.ts`, '-master_pl_name', 'master.m3u8',
      '-var_stream_map', 'v:0,a:0 v:1,a:1', `${base}/%v/index.m3u8`,
    ]);
    const { polls } = await watch(origin.port, ['/live/abr/0/index.m3u8', '/live/abr/1/index.m3u8'], encoding);
    for (const seen of polls.values()) expectSlidingWindow(seen, 5);
    const master = HLS.parse((await rawRequest(origin.port, 'GET', '/live/abr/master.m3u8')).body.toString()) as HLS.types.MasterPlaylist;
    expect(master.variants.map((v) => v.uri)).toEqual(['0/index.m3u8', '1/index.m3u8']);
    // The origin expired and deleted the first segments of both renditions on its own.
    expect((await rawRequest(origin.port, 'GET', '/live/abr/0/seg_000.ts')).status).toBe(404);
    expect((await rawRequest(origin.port, 'GET', '/live/abr/1/seg_000.ts')).status).toBe(404);
  });

  it('Debian ffmpeg, 2 s segments, bearer token header, persistent connections', async () => {
    expect(existsSync(DEBIAN_FFMPEG), 'Debian ffmpeg is installed by scripts/install-deps.sh').toBe(true);
    store = await tempDir('ffmpeg-deb');
    origin = await startTestOrigin({ storeDir: store.path, ingestToken: TOKEN, dvrSeconds: 60 });
    const base = `${origin.url}/ingest/studio`;
    const encoding = runFfmpeg(DEBIAN_FFMPEG, [
      ...sourceArgs(14.5),
      ...encodeArgs(2),
      '-f', 'hls', '-hls_time', '2', '-hls_list_size', '4',
      '-hls_flags', 'delete_segments+program_date_time+independent_segments', '-method', 'PUT', '-http_persistent', '1',
      '-headers', `Authorization: Bearer ${TOKEN}\r\n`,
      '-hls_segment_filename', `${base}/seg_%03d.ts`, `${base}/index.m3u8`,
    ]);
    const { polls } = await watch(origin.port, ['/live/studio/index.m3u8'], encoding);
    expectSlidingWindow(polls.get('/live/studio/index.m3u8')!, 5);
    expect((await rawRequest(origin.port, 'GET', '/live/studio/seg_000.ts')).status).toBe(404);
    const metrics = (await rawRequest(origin.port, 'GET', '/metrics')).body.toString();
    expect(metrics).not.toMatch(/kind="ingest",status="4\d\d"/);
  });
});
