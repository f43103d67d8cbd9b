/** What a published file is, which decides its content type, caching and metric label. */
export type FileKind = 'playlist' | 'segment' | 'init' | 'subtitle' | 'key';

export interface FileType {
  readonly kind: FileKind;
  readonly contentType: string;
}

const BY_EXTENSION: Readonly<Record<string, FileType>> = {
  m3u8: { kind: 'playlist', contentType: 'application/vnd.apple.mpegurl' },
  ts: { kind: 'segment', contentType: 'video/mp2t' },
  aac: { kind: 'segment', contentType: 'audio/aac' },
  ac3: { kind: 'segment', contentType: 'audio/ac3' },
  mp3: { kind: 'segment', contentType: 'audio/mpeg' },
  m4s: { kind: 'segment', contentType: 'video/iso.segment' },
  cmfv: { kind: 'segment', contentType: 'video/mp4' },
  cmfa: { kind: 'segment', contentType: 'audio/mp4' },
  m4v: { kind: 'segment', contentType: 'video/mp4' },
  m4a: { kind: 'segment', contentType: 'audio/mp4' },
  // A `.mp4` is an init segment (EXT-X-MAP) or a whole-file byte-range rendition; both are immutable.
  mp4: { kind: 'init', contentType: 'video/mp4' },
  vtt: { kind: 'subtitle', contentType: 'text/vtt; charset=utf-8' },
  webvtt: { kind: 'subtitle', contentType: 'text/vtt; charset=utf-8' },
  key: { kind: 'key', contentType: 'application/octet-stream' },
};

/** Looks up a file name's type by its extension; undefined for types the origin does not publish. */
export function fileTypeOf(fileName: string): FileType | undefined {
  const dot = fileName.lastIndexOf('.');
  if (dot <= 0) return undefined;
  return BY_EXTENSION[fileName.slice(dot + 1).toLowerCase()];
}

export const SUPPORTED_EXTENSIONS: readonly string[] = Object.keys(BY_EXTENSION);
