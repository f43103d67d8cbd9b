import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDemoVod, resolveFfmpegPath, startDemoEncoder, type DemoEncoder } from '@shoal/origin';
import { launchChromium } from '../../test-support/chromium.js';
import { rawRequest, startTestOrigin, tempDir, TOKEN, waitFor, type TestOrigin } from './helpers.js';

/**
 * Plain hls.js in headless Chromium plays what the origin publishes: the demo's live ABR stream (as
 * pushed by the demo encoder through ingest) and a demo VOD title in fMP4. The page is served from
 * another port, so CORS is exercised too.
 */

const require = createRequire(import.meta.url);
const HLS_JS = require.resolve('hls.js/dist/hls.min.js');

const PAGE = `<!doctype html><html><body><video id="v" muted playsinline></video>
<script src="/hls.js"></script>
<script>
  window.fatal = [];
  const video = document.getElementById('v');
  const hls = new Hls({ liveSyncDurationCount: 2 });
  hls.on(Hls.Events.ERROR, (_e, data) => { if (data.fatal) window.fatal.push(data.type + ':' + data.details); });
  hls.loadSource(new URLSearchParams(location.search).get('src'));
  hls.attachMedia(video);
  hls.on(Hls.Events.MANIFEST_PARSED, () => video.play().catch((e) => window.fatal.push('play:' + e.message)));
</script></body></html>`;

let store: Awaited<ReturnType<typeof tempDir>>;
let origin: TestOrigin;
let encoder: DemoEncoder;
let pageServer: Server;
let pageUrl: string;
let browser: Browser;

beforeAll(async () => {
  store = await tempDir('playback');
  const ffmpeg = resolveFfmpegPath();
  const vodDir = join(store.path, 'demo-vod');
  await createDemoVod(ffmpeg, vodDir, 8);
  origin = await startTestOrigin({ storeDir: join(store.path, 'store'), ingestToken: TOKEN, vod: [{ name: 'demo-vod', dir: vodDir }] });
  encoder = startDemoEncoder({ ffmpegPath: ffmpeg, originUrl: origin.url, ingestToken: TOKEN });
  const hlsJs = await readFile(HLS_JS);
  pageServer = createServer((req, res) => {
    if (req.url?.startsWith('/hls.js')) {
      res.writeHead(200, { 'Content-Type': 'text/javascript' }).end(hlsJs);
    } else {
      res.writeHead(200, { 'Content-Type': 'text/html' }).end(PAGE);
    }
  });
  await new Promise<void>((resolve) => pageServer.listen(0, '127.0.0.1', resolve));
  pageUrl = `http://127.0.0.1:${(pageServer.address() as AddressInfo).port}/`;
  browser = await launchChromium();
  // The live playlist needs a few segments before a player can start near the live edge.
  await waitFor(
    'three live segments',
    async () => {
      const res = await rawRequest(origin.port, 'GET', '/live/demo/2/index.m3u8');
      return res.status === 200 && (res.body.toString().match(/#EXTINF/g) ?? []).length >= 3 ? true : undefined;
    },
    40_000,
  );
});

afterAll(async () => {
  await browser?.close();
  await encoder?.stop();
  await origin?.close();
  await new Promise((resolve) => pageServer?.close(resolve));
  await store?.remove();
});

async function playFor(src: string, seconds: number) {
  const page = await browser.newPage();
  try {
    await page.goto(`${pageUrl}?src=${encodeURIComponent(src)}`);
    await page.waitForFunction(
      (target) => {
        const video = document.querySelector('video')!;
        return video.currentTime > target || (window as unknown as { fatal: string[] }).fatal.length > 0;
      },
      seconds,
      { timeout: 45_000 },
    );
    return await page.evaluate(() => ({
      currentTime: document.querySelector('video')!.currentTime,
      fatal: (window as unknown as { fatal: string[] }).fatal,
      width: document.querySelector('video')!.videoWidth,
    }));
  } finally {
    await page.close();
  }
}

describe('hls.js in Chromium plays the origin', () => {
  it('plays the live demo master playlist', async () => {
    const result = await playFor(`${origin.url}/live/demo/master.m3u8`, 4);
    expect(result.fatal).toEqual([]);
    expect(result.currentTime).toBeGreaterThan(4);
    expect(result.width).toBeGreaterThan(0);
  });

  it('plays the fMP4 VOD title with EXT-X-MAP init segments', async () => {
    const result = await playFor(`${origin.url}/vod/demo-vod/master.m3u8`, 3);
    expect(result.fatal).toEqual([]);
    expect(result.currentTime).toBeGreaterThan(3);
  });
});
