import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { bundleOptions } from '../../player-sdk/bundle-options.mjs';
import { machineFacts } from './machine.js';

/**
 * SDK bundle size beside p2p-media-loader's (core + hls.js adapter, the npm packages), both bundled the
 * same way here: esbuild, minified, browser, ES2020, hls.js left out, then gzip -9.
 */

const root = (path: string): string => fileURLToPath(new URL(`../../${path}`, import.meta.url));

async function measure(name: string, contents: string, alias: Record<string, string> = {}, extra: object = {}): Promise<{ name: string; min: number; gzip: number }> {
  const result = await build({
    alias,
    ...extra,
    stdin: { contents, resolveDir: root('.'), loader: 'ts' },
    bundle: true,
    minify: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2020',
    external: ['hls.js'],
    logLevel: 'error',
  });
  const bytes = result.outputFiles[0]!.contents;
  return { name, min: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
}

const kb = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KB`;

export async function bundleSizes(): Promise<{ name: string; min: number; gzip: number }[]> {
  return [
    // Shoal as its build ships it (internal member names renamed: player-sdk/bundle-options.mjs).
    await measure('Shoal SDK (core + hls.js adapter)', `export * from ${JSON.stringify(root('player-sdk/src/index.ts'))};`, {}, { mangleProps: bundleOptions.mangleProps }),
    await measure(
      'p2p-media-loader 2.3.1 (core + hlsjs)',
      // Their published browser builds: the hlsjs package ships only dist/, which imports the core package,
      // whose dist build carries its Node polyfills (events, buffer) already bundled.
      `export * from ${JSON.stringify(root('node_modules/p2p-media-loader-hlsjs/dist/p2p-media-loader-hlsjs.es.js'))};`,
      { 'p2p-media-loader-core': root('node_modules/p2p-media-loader-core/dist/p2p-media-loader-core.es.js') },
    ),
  ];
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const sizes = await bundleSizes();
  console.log(`SDK bundle size, min+gzip (${machineFacts()})`);
  for (const size of sizes) console.log(`  ${size.name.padEnd(40)} ${kb(size.min).padStart(9)} min  ${kb(size.gzip).padStart(8)} min+gzip`);
  console.log(`  target: Shoal ≤ 15 KB min+gzip; ratio to p2p-media-loader: ${(sizes[0]!.gzip / sizes[1]!.gzip).toFixed(2)}`);
}
