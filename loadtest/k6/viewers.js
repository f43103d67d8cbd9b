// HLS viewers as a player behaves: master playlist, one variant, the live playlist polled every target
// duration, each new segment fetched once, paced in real time.
//
//   k6 run loadtest/k6/viewers.js
//   k6 run -e BASE_URL=http://edge.example:8000 -e STREAM=/live/demo/master.m3u8 -e VUS=200 -e DURATION=5m loadtest/k6/viewers.js
//
// Thresholds: 95 % of segment downloads finish within SEGMENT_P95_MS (default 2000 ms, one 2 s segment:
// slower and a real player would stall), under 1 % of requests fail, and every media playlist carries
// the Shoal digest tag.
// Settings (-e NAME=value): BASE_URL (default http://localhost:8000, the demo edge), STREAM (master
// playlist path, default /live/demo/master.m3u8), VARIANT (index, default random), VUS (default 20),
// RAMP (default 30s), DURATION (default 2m), SEGMENT_P95_MS (default 2000).
import { check, sleep } from 'k6';
import http from 'k6/http';
import { Counter, Trend } from 'k6/metrics';

const BASE_URL = __ENV.BASE_URL || 'http://localhost:8000';
const STREAM = __ENV.STREAM || '/live/demo/master.m3u8';
const VARIANT = __ENV.VARIANT === undefined ? -1 : Number(__ENV.VARIANT);

const segmentTime = new Trend('shoal_segment_duration', true);
const segmentsFetched = new Counter('shoal_segments_fetched');

export const options = {
  scenarios: {
    viewers: {
      executor: 'ramping-vus',
      startVUs: 0,
      stages: [
        { duration: __ENV.RAMP || '30s', target: Number(__ENV.VUS || 20) },
        { duration: __ENV.DURATION || '2m', target: Number(__ENV.VUS || 20) },
      ],
      gracefulRampDown: '5s',
    },
  },
  thresholds: {
    shoal_segment_duration: [`p(95)<${Number(__ENV.SEGMENT_P95_MS || 2000)}`],
    http_req_failed: ['rate<0.01'],
    'checks{check:digest tag}': ['rate>0.99'],
  },
};

/** Resolves a playlist URI against the playlist's URL. */
function resolve(base, uri) {
  if (/^https?:\/\//.test(uri)) return uri;
  const dir = base.slice(0, base.lastIndexOf('/') + 1);
  return dir + uri;
}

/** Media sequence, target duration and segment URIs of a media playlist. */
function parseMedia(text) {
  const lines = text.split('\n').map((line) => line.trim());
  let sequence = 0;
  let target = 2;
  const segments = [];
  for (const line of lines) {
    if (line.startsWith('#EXT-X-MEDIA-SEQUENCE:')) sequence = Number(line.slice(22));
    else if (line.startsWith('#EXT-X-TARGETDURATION:')) target = Number(line.slice(22));
    else if (line !== '' && !line.startsWith('#')) segments.push(line);
  }
  return { sequence, target, segments, ended: text.includes('#EXT-X-ENDLIST') };
}

export default function () {
  const masterUrl = BASE_URL + STREAM;
  const master = http.get(masterUrl, { tags: { kind: 'playlist' } });
  if (!check(master, { 'master playlist 200': (r) => r.status === 200 })) {
    sleep(1);
    return;
  }
  const variants = String(master.body)
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const chosen = variants.length === 0 ? STREAM : variants[VARIANT >= 0 ? VARIANT % variants.length : Math.floor(Math.random() * variants.length)];
  const mediaUrl = variants.length === 0 ? masterUrl : resolve(masterUrl, chosen);
  let next = -1;
  // One viewing session lasts until the VU is stopped; k6 ends it at the end of the scenario.
  for (;;) {
    const started = Date.now();
    const playlist = http.get(mediaUrl, { tags: { kind: 'playlist' } });
    if (!check(playlist, { 'media playlist 200': (r) => r.status === 200 })) {
      sleep(1);
      continue;
    }
    const text = String(playlist.body);
    check(text, { 'digest tag': (t) => t.includes('#EXT-X-SHOAL-DIGEST:SHA-256=') });
    const media = parseMedia(text);
    // Start three segments behind the live edge, like hls.js.
    if (next < 0) next = Math.max(media.sequence, media.sequence + media.segments.length - 3);
    for (let s = next; s < media.sequence + media.segments.length; s++) {
      const index = s - media.sequence;
      if (index < 0) continue;
      const res = http.get(resolve(mediaUrl, media.segments[index]), { tags: { kind: 'segment' }, responseType: 'none' });
      check(res, { 'segment 200': (r) => r.status === 200 });
      segmentTime.add(res.timings.duration);
      segmentsFetched.add(1);
      next = s + 1;
    }
    if (media.ended) return;
    // Poll the live playlist once per target duration, like a player.
    const elapsed = (Date.now() - started) / 1000;
    sleep(Math.max(0.1, media.target - elapsed));
  }
}
