// HLS viewers as a player behaves: master playlist, one variant, the live playlist polled every target
// duration, starting three segments behind live and fetching each new segment once, paced in real time.
// Each iteration is one viewing session of WATCH_SECONDS, cut short when the run ends, so runs end on time.
//
//   k6 run loadtest/k6/viewers.js
//   k6 run -e BASE_URL=http://edge.example:8000 -e STREAM=/live/demo/master.m3u8 -e VUS=200 -e DURATION=5m loadtest/k6/viewers.js
//
// Thresholds (each fails when nothing was measured):
// - shoal_segment_duration p95 < SEGMENT_P95_MS (default 2000 ms, one 2 s segment: slower and a real
//   player would stall);
// - http_req_failed under 1 %; the digest tag in over 99 % of media playlists;
// - shoal_segments_fetched > 0;
// - shoal_viewing_sessions > 0;
// - shoal_live_behind_seconds p95 < MAX_BEHIND_SECONDS (default 4): per viewing session of a live stream,
//   how far the viewer fell behind the wall clock — the seconds between its first and last playlist poll,
//   less the media seconds of segments that appeared after it joined and that it fetched, less one target
//   duration (a player sees a new segment up to one poll late). About 0 to 1 s while the stream keeps up;
//   a frozen live playlist adds a second every second, and a player with three 2 s segments buffered
//   stalls at about 6 s.
// Settings (-e NAME=value): BASE_URL (default http://localhost:8000, the demo edge), STREAM (master or
// media playlist path, default /live/demo/master.m3u8), VARIANT (index, default random), VUS (default 20),
// RAMP (default 30s), DURATION (default 2m), WATCH_SECONDS (one viewing session, default 120),
// SEGMENT_P95_MS (default 2000), MAX_BEHIND_SECONDS (default 4).
import { check, sleep } from 'k6';
import http from 'k6/http';
import { Counter, Trend } from 'k6/metrics';
import { boundedSeconds, durationSeconds, idleUntilEnd, secondsLeft } from './lib/run-time.js';

const BASE_URL = __ENV.BASE_URL || 'http://localhost:8000';
const STREAM = __ENV.STREAM || '/live/demo/master.m3u8';
const VARIANT = __ENV.VARIANT === undefined ? -1 : Number(__ENV.VARIANT);
const VUS = Number(__ENV.VUS || 20);
const RAMP = __ENV.RAMP || '30s';
const DURATION = __ENV.DURATION || '2m';
const WATCH_SECONDS = Number(__ENV.WATCH_SECONDS || 120);
const RUN_SECONDS = durationSeconds(RAMP) + durationSeconds(DURATION);

const segmentTime = new Trend('shoal_segment_duration', true);
const segmentsFetched = new Counter('shoal_segments_fetched');
const liveBehind = new Trend('shoal_live_behind_seconds');
const sessions = new Counter('shoal_viewing_sessions');

export const options = {
  scenarios: {
    viewers: {
      executor: 'ramping-vus',
      startVUs: 0,
      stages: [
        { duration: RAMP, target: VUS },
        { duration: DURATION, target: VUS },
      ],
      gracefulRampDown: '5s',
      gracefulStop: '10s',
    },
  },
  thresholds: {
    shoal_segment_duration: [`p(95)<${Number(__ENV.SEGMENT_P95_MS || 2000)}`],
    http_req_failed: ['rate<0.01'],
    'checks{check:digest tag}': ['rate>0.99'],
    shoal_segments_fetched: ['count>0'],
    shoal_viewing_sessions: ['count>0'],
    shoal_live_behind_seconds: [`p(95)<${Number(__ENV.MAX_BEHIND_SECONDS || 4)}`],
  },
};

/** Resolves a playlist URI against the playlist's URL. */
function resolve(base, uri) {
  if (/^https?:\/\//.test(uri)) return uri;
  if (uri.startsWith('/')) return base.slice(0, base.indexOf('/', base.indexOf('//') + 2)) + uri;
  return base.slice(0, base.lastIndexOf('/') + 1) + uri;
}

/** Media sequence, target duration, and URI and duration of each segment of a media playlist. */
function parseMedia(text) {
  let sequence = 0;
  let target = 2;
  let duration = 0;
  const segments = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#EXT-X-MEDIA-SEQUENCE:')) sequence = Number(line.slice(22));
    else if (line.startsWith('#EXT-X-TARGETDURATION:')) target = Number(line.slice(22));
    else if (line.startsWith('#EXTINF:')) duration = parseFloat(line.slice(8));
    else if (line !== '' && !line.startsWith('#')) {
      segments.push({ uri: line, duration: duration || target });
      duration = 0;
    }
  }
  return { sequence, target, segments, ended: text.includes('#EXT-X-ENDLIST') };
}

/** The media playlist URL to watch: a variant of a master playlist, or the stream itself. */
function chooseMediaPlaylist(masterUrl, text) {
  if (!text.includes('#EXT-X-STREAM-INF')) return masterUrl;
  const variants = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  if (variants.length === 0) return masterUrl;
  return resolve(masterUrl, variants[VARIANT >= 0 ? VARIANT % variants.length : Math.floor(Math.random() * variants.length)]);
}

export default function () {
  const watchFor = boundedSeconds(WATCH_SECONDS, RUN_SECONDS);
  if (watchFor < 1) {
    idleUntilEnd(RUN_SECONDS);
    return;
  }
  const joined = Date.now();
  const watched = () => (Date.now() - joined) / 1000;
  const masterUrl = BASE_URL + STREAM;
  const master = http.get(masterUrl, { tags: { kind: 'playlist' } });
  if (!check(master, { 'master playlist 200': (r) => r.status === 200 })) {
    sleep(boundedSeconds(1, RUN_SECONDS));
    return;
  }
  sessions.add(1);
  const mediaUrl = chooseMediaPlaylist(masterUrl, String(master.body));
  let next = -1;
  let liveEdge = -1;
  let ended = false;
  let target = 2;
  let buffered = 0;
  let newMediaSeconds = 0;
  let firstPoll = 0;
  let lastPoll = 0;
  while (watched() < watchFor) {
    const polled = Date.now();
    const playlist = http.get(mediaUrl, { tags: { kind: 'playlist' } });
    if (check(playlist, { 'media playlist 200': (r) => r.status === 200 })) {
      lastPoll = Date.now();
      if (firstPoll === 0) firstPoll = lastPoll;
      const text = String(playlist.body);
      check(text, { 'digest tag': (t) => t.includes('#EXT-X-SHOAL-DIGEST:SHA-256=') });
      const media = parseMedia(text);
      target = media.target;
      ended = media.ended;
      const last = media.sequence + media.segments.length - 1;
      if (next < 0) {
        // Live: start three segments behind the live edge, like hls.js. VOD: from the start.
        liveEdge = last;
        next = ended ? media.sequence : Math.max(media.sequence, last - 2);
      }
      // A player buffers about three segments ahead of what it plays.
      const playedSince = watched();
      for (let s = Math.max(next, media.sequence); s <= last && (!ended || buffered - playedSince < 3 * target); s++) {
        const segment = media.segments[s - media.sequence];
        const res = http.get(resolve(mediaUrl, segment.uri), { tags: { kind: 'segment' }, responseType: 'none' });
        if (check(res, { 'segment 200': (r) => r.status === 200 })) {
          segmentTime.add(res.timings.duration);
          segmentsFetched.add(1);
          buffered += segment.duration;
          if (s > liveEdge) newMediaSeconds += segment.duration;
        }
        next = s + 1;
      }
      if (ended && next > last) break;
    }
    // Poll the playlist once per target duration, like a player.
    sleep(Math.min(Math.max(0.1, target - (Date.now() - polled) / 1000), Math.max(0, watchFor - watched())));
  }
  if (!ended && firstPoll > 0) liveBehind.add(Math.max(0, (lastPoll - firstPoll) / 1000 - newMediaSeconds - target));
  // The run is over: wait for k6 to stop this VU rather than start an empty iteration.
  if (secondsLeft(RUN_SECONDS) < 1) idleUntilEnd(RUN_SECONDS);
}
