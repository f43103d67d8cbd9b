import { isDigestTagLine } from '@shoal/protocol';
import HLS from 'hls-parser';
import { OriginError } from '../errors.js';

/** Tags that describe the whole playlist; every other `#EXT` tag belongs to the segment that follows it. */
const PLAYLIST_TAGS = new Set([
  'EXTM3U',
  'EXT-X-VERSION',
  'EXT-X-TARGETDURATION',
  'EXT-X-MEDIA-SEQUENCE',
  'EXT-X-DISCONTINUITY-SEQUENCE',
  'EXT-X-PLAYLIST-TYPE',
  'EXT-X-INDEPENDENT-SEGMENTS',
  'EXT-X-START',
  'EXT-X-I-FRAMES-ONLY',
  'EXT-X-ALLOW-CACHE',
  'EXT-X-ENDLIST',
  'EXT-X-SERVER-CONTROL',
  'EXT-X-PART-INF',
  'EXT-X-DEFINE',
]);

/** Tags that stay in force for every later segment until they appear again. */
const STICKY_TAGS = new Set(['EXT-X-MAP', 'EXT-X-KEY']);

export interface SegmentByteRange {
  readonly length: number;
  readonly offset: number;
}

export interface PlaylistSegment {
  readonly uri: string;
  readonly duration: number;
  /** The original `#EXTINF:` line, title included. */
  readonly extinf: string;
  readonly byteRange?: SegmentByteRange;
  /** Per-segment tags in playlist order (DISCONTINUITY, PROGRAM-DATE-TIME, DATERANGE, GAP, …), sticky tags excluded. */
  readonly tags: readonly string[];
  /** The EXT-X-MAP and EXT-X-KEY lines in force for this segment. */
  readonly map?: string;
  readonly key?: string;
}

export interface MediaPlaylist {
  readonly headerTags: readonly string[];
  readonly targetDuration: number;
  readonly mediaSequence: number;
  readonly discontinuitySequence: number;
  readonly endList: boolean;
  readonly segments: readonly PlaylistSegment[];
}

const MAX_PLAYLIST_BYTES = 1024 * 1024;

function tagName(line: string): string {
  const colon = line.indexOf(':');
  return (colon === -1 ? line : line.slice(0, colon)).slice(1);
}

function tagValue(line: string): string {
  const colon = line.indexOf(':');
  return colon === -1 ? '' : line.slice(colon + 1).trim();
}

function bad(message: string): OriginError {
  return new OriginError('SHOAL_ERR_BAD_PLAYLIST', message);
}

function splitLines(text: string): string[] {
  if (text.length > MAX_PLAYLIST_BYTES) throw bad('playlist larger than 1 MiB');
  if (text.includes('\0')) throw bad('playlist contains a NUL byte');
  const lines = text.split(/\r?\n/).map((line) => line.trim());
  if (lines[0] !== '#EXTM3U') throw bad('playlist must start with #EXTM3U');
  return lines;
}

/** True when the text is a master (multivariant) playlist rather than a media playlist. */
export function isMasterPlaylist(text: string): boolean {
  return /^#EXT-X-STREAM-INF:/m.test(text) && !/^#EXTINF:/m.test(text);
}

/** Runs the conformance checks of hls-parser in strict mode, which throws on what the HLS spec forbids. */
function checkConformance(text: string): void {
  HLS.setOptions({ strictMode: true, silent: true });
  try {
    HLS.parse(text);
  } catch (error) {
    throw bad(`playlist does not conform to the HLS spec: ${(error as Error).message}`);
  }
}

/** Validates a master playlist: well-formed, every variant URI relative. */
export function validateMasterPlaylist(text: string): void {
  const lines = splitLines(text);
  if (!lines.some((line) => line.startsWith('#EXT-X-STREAM-INF:'))) throw bad('master playlist has no EXT-X-STREAM-INF');
  checkConformance(text);
}

function parseByteRange(value: string, previous: { uri: string; end: number } | undefined, uri: string): SegmentByteRange {
  const match = /^(\d+)(?:@(\d+))?$/.exec(value);
  if (!match) throw bad(`malformed EXT-X-BYTERANGE ${JSON.stringify(value)}`);
  const length = Number(match[1]);
  let offset: number;
  if (match[2] !== undefined) offset = Number(match[2]);
  else if (previous && previous.uri === uri) offset = previous.end;
  else throw bad('EXT-X-BYTERANGE without offset must follow a range of the same resource');
  return { length, offset };
}

/**
 * Parses a media playlist line by line, keeping every tag with the segment it belongs to, so that a
 * playlist can be re-rendered (windowed, annotated with digests) without losing what the packager wrote.
 * Throws SHOAL_ERR_BAD_PLAYLIST for anything malformed.
 */
export function parseMediaPlaylist(text: string): MediaPlaylist {
  const lines = splitLines(text);
  if (isMasterPlaylist(text)) throw bad('expected a media playlist, got a master playlist');
  checkConformance(text);

  const headerTags: string[] = [];
  const segments: PlaylistSegment[] = [];
  let targetDuration: number | undefined;
  let mediaSequence = 0;
  let discontinuitySequence = 0;
  let endList = false;
  let pendingTags: string[] = [];
  let extinf: { line: string; duration: number } | undefined;
  let rangeValue: string | undefined;
  const sticky = new Map<string, string>();
  let previousRange: { uri: string; end: number } | undefined;

  for (const line of lines.slice(1)) {
    if (line === '' || isDigestTagLine(line)) continue;
    if (line.startsWith('#')) {
      if (!line.startsWith('#EXT')) continue; // a comment
      const name = tagName(line);
      if (PLAYLIST_TAGS.has(name)) {
        if (name === 'EXT-X-TARGETDURATION') targetDuration = Number(tagValue(line));
        else if (name === 'EXT-X-MEDIA-SEQUENCE') mediaSequence = Number(tagValue(line));
        else if (name === 'EXT-X-DISCONTINUITY-SEQUENCE') discontinuitySequence = Number(tagValue(line));
        else if (name === 'EXT-X-ENDLIST') endList = true;
        else headerTags.push(line);
      } else if (name === 'EXTINF') {
        const duration = Number.parseFloat(tagValue(line));
        if (!Number.isFinite(duration) || duration < 0) throw bad(`malformed EXTINF ${JSON.stringify(line)}`);
        extinf = { line, duration };
      } else if (name === 'EXT-X-BYTERANGE') {
        rangeValue = tagValue(line);
      } else if (STICKY_TAGS.has(name)) {
        sticky.set(name, line);
      } else {
        pendingTags.push(line);
      }
      continue;
    }
    // A URI line.
    if (!extinf) throw bad(`segment ${JSON.stringify(line.slice(0, 64))} has no EXTINF`);
    const byteRange = rangeValue === undefined ? undefined : parseByteRange(rangeValue, previousRange, line);
    previousRange = byteRange ? { uri: line, end: byteRange.offset + byteRange.length } : undefined;
    const map = sticky.get('EXT-X-MAP');
    const key = sticky.get('EXT-X-KEY');
    segments.push({
      uri: line,
      duration: extinf.duration,
      extinf: extinf.line,
      tags: pendingTags,
      ...(byteRange ? { byteRange } : {}),
      ...(map ? { map } : {}),
      ...(key ? { key } : {}),
    });
    pendingTags = [];
    extinf = undefined;
    rangeValue = undefined;
  }

  if (targetDuration === undefined || !Number.isInteger(targetDuration) || targetDuration <= 0) {
    throw bad('EXT-X-TARGETDURATION missing or not a positive integer');
  }
  if (!Number.isSafeInteger(mediaSequence) || mediaSequence < 0) throw bad('malformed EXT-X-MEDIA-SEQUENCE');
  if (!Number.isSafeInteger(discontinuitySequence) || discontinuitySequence < 0) {
    throw bad('malformed EXT-X-DISCONTINUITY-SEQUENCE');
  }
  return { headerTags, targetDuration, mediaSequence, discontinuitySequence, endList, segments };
}

/** A segment to render, with the digest line the origin computed for it (absent where the bytes are not ours). */
export interface RenderedSegment extends PlaylistSegment {
  readonly digestTag?: string;
}

/** Renders a media playlist; sticky tags are written where they change and before the first segment. */
export function renderMediaPlaylist(playlist: {
  headerTags: readonly string[];
  targetDuration: number;
  mediaSequence: number;
  discontinuitySequence: number;
  endList: boolean;
  segments: readonly RenderedSegment[];
}): string {
  const out = ['#EXTM3U'];
  for (const line of playlist.headerTags) out.push(line);
  out.push(`#EXT-X-TARGETDURATION:${playlist.targetDuration}`);
  out.push(`#EXT-X-MEDIA-SEQUENCE:${playlist.mediaSequence}`);
  if (playlist.discontinuitySequence > 0) out.push(`#EXT-X-DISCONTINUITY-SEQUENCE:${playlist.discontinuitySequence}`);
  let map: string | undefined;
  let key: string | undefined;
  for (const segment of playlist.segments) {
    if (segment.key !== undefined && segment.key !== key) out.push(segment.key);
    if (segment.map !== undefined && segment.map !== map) out.push(segment.map);
    key = segment.key;
    map = segment.map;
    for (const tag of segment.tags) out.push(tag);
    out.push(segment.extinf);
    if (segment.byteRange) out.push(`#EXT-X-BYTERANGE:${segment.byteRange.length}@${segment.byteRange.offset}`);
    if (segment.digestTag) out.push(segment.digestTag);
    out.push(segment.uri);
  }
  if (playlist.endList) out.push('#EXT-X-ENDLIST');
  return out.join('\n') + '\n';
}

/** Sums the durations of the segments. */
export function totalDuration(segments: readonly { duration: number }[]): number {
  return segments.reduce((sum, segment) => sum + segment.duration, 0);
}

/** Shared with the edge, which writes digests for origins that do not. */
export { annotateWithDigests } from '@shoal/protocol';
