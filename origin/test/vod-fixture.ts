import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * A VOD folder laid out the ways common packagers write them. The bytes are random: the origin never
 * looks inside segments, it only publishes and hashes them.
 */
export async function writeVodFixture(dir: string): Promise<Record<string, Buffer>> {
  const files: Record<string, Buffer> = {};
  const put = async (path: string, body: Buffer | string): Promise<void> => {
    const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body);
    files[path] = bytes;
    await mkdir(join(dir, path, '..'), { recursive: true });
    await writeFile(join(dir, path), bytes);
  };

  // ffmpeg-style MPEG-TS rendition.
  for (let i = 0; i < 3; i++) await put(`ts/seg_${i}.ts`, randomBytes(20_000 + i * 1000));
  await put(
    'ts/index.m3u8',
    '#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:4\n#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-PLAYLIST-TYPE:VOD\n' +
      [0, 1, 2].map((i) => `#EXTINF:4.000000,\nseg_${i}.ts`).join('\n') +
      '\n#EXT-X-ENDLIST\n',
  );

  // Shaka Packager-style fMP4/CMAF rendition with an init segment.
  await put('video/init.mp4', randomBytes(900));
  for (let i = 1; i <= 2; i++) await put(`video/seg_${i}.m4s`, randomBytes(30_000));
  await put(
    'video/stream.m3u8',
    '#EXTM3U\n#EXT-X-VERSION:6\n## Generated with https://github.com/shaka-project/shaka-packager\n#EXT-X-TARGETDURATION:2\n#EXT-X-PLAYLIST-TYPE:VOD\n#EXT-X-MAP:URI="init.mp4"\n' +
      '#EXTINF:2.000,\nseg_1.m4s\n#EXTINF:2.000,\nseg_2.m4s\n#EXT-X-ENDLIST\n',
  );

  // Single-file rendition addressed with byte ranges.
  const single = randomBytes(5000);
  await put('single/main.mp4', single);
  await put(
    'single/index.m3u8',
    '#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:2\n#EXT-X-PLAYLIST-TYPE:VOD\n#EXT-X-MAP:URI="main.mp4",BYTERANGE="1000@0"\n' +
      '#EXTINF:2.0,\n#EXT-X-BYTERANGE:1500@1000\nmain.mp4\n#EXTINF:2.0,\n#EXT-X-BYTERANGE:2500\nmain.mp4\n#EXT-X-ENDLIST\n',
  );

  // WebVTT subtitles.
  await put('subs/en_0.vtt', 'WEBVTT\n\n00:00:00.000 --> 00:00:02.000\nHello\n');
  await put(
    'subs/en.m3u8',
    '#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:4\n#EXT-X-PLAYLIST-TYPE:VOD\n#EXTINF:4.0,\nen_0.vtt\n#EXT-X-ENDLIST\n',
  );

  await put(
    'master.m3u8',
    '#EXTM3U\n#EXT-X-VERSION:6\n' +
      '#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="English",LANGUAGE="en",URI="subs/en.m3u8"\n' +
      '#EXT-X-STREAM-INF:BANDWIDTH=800000,RESOLUTION=640x360,SUBTITLES="subs"\nts/index.m3u8\n' +
      '#EXT-X-STREAM-INF:BANDWIDTH=1200000,RESOLUTION=854x480,SUBTITLES="subs"\nvideo/stream.m3u8\n',
  );

  // A malformed playlist must not be published, and must not stop the rest.
  await put('broken.m3u8', '#EXTM3U\n#EXTINF:2,\nnope.ts\n');
  return files;
}
