// WebTorrent-protocol signaling load: every VU joins one of SWARMS swarms over WebSocket, announces with
// OFFERS synthetic offers every ANNOUNCE_SECONDS, and answers every offer relayed to it. Offers carry their
// send time, so the receiving VU measures offer-to-delivery latency; answers name the offer they answer,
// so the offering VU checks that each answer came back to it, for its own offer. Each iteration is one
// connection of SESSION_SECONDS, cut short when the run ends; a failed connection is retried with
// exponential back-off (1 s, 2 s, 4 s … 30 s, jittered), as a real client does.
//
//   k6 run loadtest/k6/tracker.js
//   k6 run -e TRACKER_URL=ws://edge.example:8000/announce -e VUS=500 -e SWARMS=20 -e DURATION=3m loadtest/k6/tracker.js
//
// Thresholds (each fails when nothing was measured):
// - checks{check:websocket upgraded} over 99 %: connections that became WebSockets;
// - shoal_offers_received > 0 and shoal_offer_relay_ms p95 < RELAY_P95_MS (default 250 ms): offers
//   relayed to another VU, and the time from announce to delivery;
// - shoal_answers_received > 0, shoal_answer_routed over 99 % (the answer reached the VU that made the
//   offer, with that offer's id) and shoal_offer_answered over 95 % (of the offers the tracker could relay —
//   one per other peer in the swarm, up to OFFERS — the share whose answer came back);
// - shoal_announce_failed under 1 %: replies with a `failure reason`.
// Settings (-e NAME=value): TRACKER_URL (default ws://localhost:8000/announce), SWARMS (default 4),
// OFFERS per announce (default 5), ANNOUNCE_SECONDS (default 5), SESSION_SECONDS (default 60),
// VUS (default 50), RAMP (default 20s), DURATION (default 1m), RELAY_P95_MS (default 250).
import { check, sleep } from 'k6';
import { Counter, Rate, Trend } from 'k6/metrics';
import ws from 'k6/ws';
import { boundedSeconds, durationSeconds, idleUntilEnd, secondsLeft } from './lib/run-time.js';

const TRACKER_URL = __ENV.TRACKER_URL || 'ws://localhost:8000/announce';
const SWARMS = Number(__ENV.SWARMS || 4);
const OFFERS = Number(__ENV.OFFERS || 5);
const ANNOUNCE_SECONDS = Number(__ENV.ANNOUNCE_SECONDS || 5);
const SESSION_SECONDS = Number(__ENV.SESSION_SECONDS || 60);
const VUS = Number(__ENV.VUS || 50);
const RAMP = __ENV.RAMP || '20s';
const DURATION = __ENV.DURATION || '1m';
const RUN_SECONDS = durationSeconds(RAMP) + durationSeconds(DURATION);
/** No new offers this close to the end of a connection: their answers could not come back in time. */
const QUIET_SECONDS = 2;

const relayLatency = new Trend('shoal_offer_relay_ms', true);
const announceFailed = new Rate('shoal_announce_failed');
const offersReceived = new Counter('shoal_offers_received');
const answersReceived = new Counter('shoal_answers_received');
const answerRouted = new Rate('shoal_answer_routed');
const offerAnswered = new Rate('shoal_offer_answered');

export const options = {
  scenarios: {
    signaling: {
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
    'checks{check:websocket upgraded}': ['rate>0.99'],
    shoal_offers_received: ['count>0'],
    shoal_offer_relay_ms: [`p(95)<${Number(__ENV.RELAY_P95_MS || 250)}`],
    shoal_answers_received: ['count>0'],
    shoal_answer_routed: ['rate>0.99'],
    shoal_offer_answered: ['rate>0.95'],
    shoal_announce_failed: ['rate<0.01'],
  },
};

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A 20-character id, as WebTorrent's info_hash, peer_id and offer_id are. */
function id20(prefix) {
  let out = prefix;
  while (out.length < 20) out += ALPHABET[Math.floor(Math.random() * ALPHABET.length)];
  return out.slice(0, 20);
}

function sdp(lines) {
  return `v=0\r\no=- ${Date.now()} 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n${lines.map((line) => `a=${line}\r\n`).join('')}`;
}

/** Connection attempts that failed in a row, for this VU's back-off. */
let failedInARow = 0;

export default function () {
  const sessionSeconds = boundedSeconds(SESSION_SECONDS, RUN_SECONDS);
  if (sessionSeconds < QUIET_SECONDS + 1) {
    idleUntilEnd(RUN_SECONDS);
    return;
  }
  // Every VU of a swarm must name it the same: pad deterministically, not randomly.
  const infoHash = `shoal-k6-swarm-${__VU % SWARMS}`.padEnd(20, '-').slice(0, 20);
  const peerId = id20(`-K60048-${__VU}-`);
  const opened = Date.now();
  /** Offers this connection made and not yet seen answered: offer_id → true. */
  const pending = {};
  let expectedAnswers = 0;
  let answers = 0;
  let res;
  try {
    res = ws.connect(TRACKER_URL, {}, (socket) => {
      const announce = (event) => {
        const offers = [];
        for (let i = 0; i < OFFERS; i++) {
          const offerId = id20('o');
          pending[offerId] = true;
          offers.push({ offer_id: offerId, offer: { type: 'offer', sdp: sdp(['shoal-load:offer', `shoal-sent:${Date.now()}`]) } });
        }
        const message = { action: 'announce', info_hash: infoHash, peer_id: peerId, numwant: OFFERS, offers };
        if (event) message.event = event;
        socket.send(JSON.stringify(message));
      };
      socket.on('open', () => {
        announce('started');
        socket.setInterval(() => {
          if ((Date.now() - opened) / 1000 < sessionSeconds - QUIET_SECONDS) announce(undefined);
        }, ANNOUNCE_SECONDS * 1000);
        socket.setTimeout(() => {
          socket.send(JSON.stringify({ action: 'announce', info_hash: infoHash, peer_id: peerId, event: 'stopped', numwant: 0 }));
          socket.close();
        }, sessionSeconds * 1000);
      });
      socket.on('message', (data) => {
        let message;
        try {
          message = JSON.parse(data);
        } catch (_error) {
          announceFailed.add(true);
          return;
        }
        if (message['failure reason'] !== undefined) {
          announceFailed.add(true);
        } else if (message.offer) {
          offersReceived.add(1);
          const sent = /a=shoal-sent:(\d+)/.exec(message.offer.sdp || '');
          if (sent) relayLatency.add(Date.now() - Number(sent[1]));
          socket.send(
            JSON.stringify({
              action: 'announce',
              info_hash: message.info_hash,
              peer_id: peerId,
              to_peer_id: message.peer_id,
              offer_id: message.offer_id,
              answer: { type: 'answer', sdp: sdp(['shoal-load:answer', `shoal-answers:${message.offer_id}`]) },
            }),
          );
        } else if (message.answer) {
          answersReceived.add(1);
          // Routed right: to the VU that made the offer, for that offer, once, from another peer.
          const names = (message.answer.sdp || '').indexOf(`a=shoal-answers:${message.offer_id}\r\n`) >= 0;
          const routed = pending[message.offer_id] === true && names && message.peer_id !== peerId;
          answerRouted.add(routed);
          if (routed) answers++;
          delete pending[message.offer_id];
        } else if (message.interval !== undefined) {
          announceFailed.add(false);
          // The tracker relays each offer to a different peer of the swarm, so this many can be answered.
          const others = Number(message.complete || 0) + Number(message.incomplete || 0) - 1;
          expectedAnswers += Math.max(0, Math.min(OFFERS, others));
        }
      });
    });
  } catch (_error) {
    res = undefined;
  }
  const upgraded = res !== undefined && res !== null && res.status === 101;
  check(res, { 'websocket upgraded': () => upgraded });
  if (upgraded) {
    failedInARow = 0;
    for (let i = 0; i < expectedAnswers; i++) offerAnswered.add(i < answers);
  } else {
    failedInARow++;
    sleep(boundedSeconds(Math.min(30, 2 ** (failedInARow - 1)) * (0.5 + Math.random()), RUN_SECONDS));
  }
  // The run is over: wait for k6 to stop this VU rather than start an empty iteration.
  if (secondsLeft(RUN_SECONDS) < QUIET_SECONDS + 1) idleUntilEnd(RUN_SECONDS);
}
