import { parseArgs } from 'node:util';
import { isRate, type NatKind } from './lab.js';

/** What a network lab run builds and measures, its defaults, and the command line that sets them. */

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
  /** Publish the demo's three renditions (1200, 700, 300 kbit/s video) instead of one at `videoKbps`. */
  readonly ladder: boolean;
  /**
   * Chromium viewers: the demo page's `?level=`: 'auto' lets hls.js ABR choose the rendition, an index pins
   * it (hls.js orders levels by bitrate, 0 the lowest). Undefined: the page's default, level 0.
   */
  readonly level: 'auto' | number | undefined;
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
  ladder: false,
  level: undefined,
  out: undefined,
};

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
      ladder: { type: 'boolean' },
      level: { type: 'string' },
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
  const rates = (text: string, name: string): string => {
    // One rate for every home, or a comma-separated list given to the homes in turn.
    if (!text.split(',').every(isRate)) throw new Error(`--${name} takes rates like 2mbit or a list such as 20mbit,1500kbit`);
    return text;
  };
  const viewer = values.viewer === 'chromium' ? 'chromium' : values.viewer === undefined || values.viewer === 'node' ? 'node' : fail('--viewer takes node or chromium');
  // The Node viewer plays one rendition's playlist; only the page has hls.js ABR.
  if (values.level !== undefined && viewer !== 'chromium') throw new Error('--level needs --viewer chromium');
  const level = values.level === undefined || values.level === 'auto' ? values.level : Math.round(number(values.level, 0, 'level', 0, 2));
  return {
    help: values.help ?? false,
    homes: Math.round(number(values.homes, d.homes, 'homes', 2, 40)),
    nat,
    uplink: rates(values.uplink ?? d.uplink, 'uplink'),
    downlink: rates(values.downlink ?? d.downlink, 'downlink'),
    seconds: number(values.seconds, d.seconds, 'seconds', 10, 600),
    stun: !values['no-stun'],
    turn: values.turn ?? false,
    natAwareMatching: matching === 'on',
    videoKbps: number(values['video-kbps'], d.videoKbps, 'video-kbps', 100, 10_000),
    segmentSeconds: d.segmentSeconds,
    joinSpacingSeconds: d.joinSpacingSeconds,
    baseline: !values['no-baseline'],
    viewer,
    ladder: values.ladder ?? values.level !== undefined,
    level,
    out: values.out,
  };
}
