// How the SDK's browser bundles are built, shared by build.mjs and the size benchmark so that the figure
// printed is the size shipped.
//
// Internal member names are renamed in the bundles (esbuild's mangleProps): they are long, repeated, and
// no page ever reads them. Only names of classes and objects private to the SDK belong here — never an
// option, a getStats() field, an event, hls.js' loader interface, a Web API name or a key that is
// serialized (tracker messages, stats reports), which must survive. Nor a constructor parameter property
// (`constructor(private readonly x)`): esbuild defines those by their unmangled name when it lowers class
// fields for the target.
const INTERNAL_MEMBERS = [
  // Swarm, Peer, SegmentBuffer, SegmentStore
  'awaitingFirstPeers', 'metPeers', 'playlistSeen', 'failedRelays', 'judgements', 'judgeRelay', 'blame', 'broadcast',
  'fromPeer', 'waitForChange', 'httpEstimateMs', 'httpOnly', 'excluded', 'peerIds', 'hasPeer', 'uploadingPeers',
  'helloReceived', 'nextRequest', 'retractions', 'fruitlessRequests', 'implausibleRequests', 'implausible', 'served',
  'stopUpload', 'shutdown', 'onData', 'pump', 'lastProgress', 'lastProgressAt', 'startOffset', 'activeDownloads',
  'activeUploads', 'segmentFor', 'onUploaded', 'contributors', 'declaredTotal', 'declareTotal',
  'markComplete', 'markFailed', 'waiters', 'notify', 'grow', 'completeBytes',
  // SegmentJob, RelayJudge, UploadPolicy
  'wakeUp', 'wakeJobs', 'hurry', 'jobHost', 'relays', 'punish', 'evidence', 'judgeEvidence', 'estimateHttpMs',
  'startMetering', 'sampleUplink', 'meterTimer', 'refusedBusy', 'uploadPolicy',
  // engine, connector, tracker client, upload budget, adapter
  'connectSwarm', 'connectTracker', 'createSwarm', 'warnOnce', 'warned', 'fetchImpl', 'httpRate', 'closeConnection',
  'whenOpen', 'ensureSocket', 'scheduleReconnect', 'sendAnnounce', 'sessionFor', 'reconnectTimer', 'bucketOf',
  'burstOf', 'perPeer', 'bitrate', 'refill', 'throughEngine', 'plainHttp', 'stallStartedAt', 'playedOnce',
  'onPlaying', 'onSeeking', 'onWaiting', 'onHide', 'startupSent',
  // private state that many classes repeat
  'received', 'destroyed', 'downloads', 'uploads', 'holdings', 'counters', 'announceTimer', 'tokens', 'monitor',
  'finished', 'connections', 'sessions', 'listeners', 'deadline', 'throughput', 'pending', 'handlers',
  'ready', 'introduced', 'candidates', 'connector', 'store', 'jobs', 'known', 'fresh', 'claimed', 'failures',
  'wake', 'selfId', 'p2pEnabled', 'httpThroughput', 'onHttpTransfer', 'evicted',
  'disableP2p', 'observeSegment', 'peerRate', 'configure', 'tryTake', 'mayConnect', 'createOffers', 'handleOffer',
  'handleAnswer', 'maxConnecting', 'accepts', 'onChannel', 'lastAt', 'startedAt',
  'busyUntil', 'pendingUploadBytes', 'highWater', 'drainRate', 'congestedSince', 'measureDrain',
];

export const bundleOptions = {
  bundle: true,
  minify: true,
  platform: 'browser',
  target: 'es2020',
  external: ['hls.js'],
  mangleProps: new RegExp(`^(${INTERNAL_MEMBERS.join('|')})$`),
};
