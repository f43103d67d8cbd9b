// WebTorrent-protocol signaling load: every VU joins one of SWARMS swarms over WebSocket, announces with
// OFFERS synthetic offers, answers every offer relayed to it, and re-announces every ANNOUNCE_SECONDS.
// Offers carry their send time, so the receiving VU measures offer-to-delivery latency.
//
//   k6 run loadtest/k6/tracker.js
//   k6 run -e TRACKER_URL=ws://edge.example:8000/announce -e VUS=500 -e SWARMS=20 -e DURATION=3m loadtest/k6/tracker.js
//
// Thresholds: 95 % of relayed offers arrive within RELAY_P95_MS (default 250 ms) of being announced;
// fewer than 1 % of announces get a `failure reason`; every answer we send is routed back as such.
// Settings (-e NAME=value): TRACKER_URL (default ws://localhost:8000/announce), SWARMS (default 4),
// OFFERS per announce (default 5), ANNOUNCE_SECONDS (default 5), SESSION_SECONDS (default 60),
// VUS (default 50), RAMP (default 20s), DURATION (default 1m), RELAY_P95_MS (default 250).
import { check } from 'k6';
import { Counter, Rate, Trend } from 'k6/metrics';
import ws from 'k6/ws';

const TRACKER_URL = __ENV.TRACKER_URL || 'ws://localhost:8000/announce';
const SWARMS = Number(__ENV.SWARMS || 4);
const OFFERS = Number(__ENV.OFFERS || 5);
const ANNOUNCE_SECONDS = Number(__ENV.ANNOUNCE_SECONDS || 5);
const SESSION_SECONDS = Number(__ENV.SESSION_SECONDS || 60);

const relayLatency = new Trend('shoal_offer_relay_ms', true);
const failures = new Rate('shoal_announce_failed');
const offersReceived = new Counter('shoal_offers_received');
const answersReceived = new Counter('shoal_answers_received');

export const options = {
  scenarios: {
    signaling: {
      executor: 'ramping-vus',
      startVUs: 0,
      stages: [
        { duration: __ENV.RAMP || '20s', target: Number(__ENV.VUS || 50) },
        { duration: __ENV.DURATION || '1m', target: Number(__ENV.VUS || 50) },
      ],
      gracefulRampDown: '5s',
    },
  },
  thresholds: {
    shoal_offer_relay_ms: [`p(95)<${Number(__ENV.RELAY_P95_MS || 250)}`],
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

function sdp(kind) {
  return `v=0\r\no=- ${Date.now()} 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=shoal-load:${kind}\r\na=shoal-sent:${Date.now()}\r\n`;
}

export default function () {
  // Every VU of a swarm must name it the same: pad deterministically, not randomly.
  const infoHash = `shoal-k6-swarm-${__VU % SWARMS}`.padEnd(20, '-').slice(0, 20);
  const peerId = id20(`-K60048-${__VU}-`);
  const res = ws.connect(TRACKER_URL, {}, (socket) => {
    const announce = (event) => {
      const offers = [];
      for (let i = 0; i < OFFERS; i++) offers.push({ offer_id: id20('o'), offer: { type: 'offer', sdp: sdp('offer') } });
      socket.send(JSON.stringify({ action: 'announce', info_hash: infoHash, peer_id: peerId, numwant: OFFERS, event, offers }));
    };
    socket.on('open', () => {
      announce('started');
      socket.setInterval(() => announce(undefined), ANNOUNCE_SECONDS * 1000);
      socket.setTimeout(() => {
        socket.send(JSON.stringify({ action: 'announce', info_hash: infoHash, peer_id: peerId, event: 'stopped', numwant: 0 }));
        socket.close();
      }, SESSION_SECONDS * 1000);
    });
    socket.on('message', (data) => {
      let message;
      try {
        message = JSON.parse(data);
      } catch {
        failures.add(true);
        return;
      }
      if (message['failure reason'] !== undefined) {
        failures.add(true);
        return;
      }
      if (message.offer) {
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
            answer: { type: 'answer', sdp: sdp('answer') },
          }),
        );
      } else if (message.answer) {
        answersReceived.add(1);
      } else if (message.interval !== undefined) {
        failures.add(false);
      }
    });
  });
  check(res, { 'websocket upgraded': (r) => r && r.status === 101 });
}
