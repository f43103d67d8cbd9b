// Bundles the SDK for browsers: an ES module and a <script>-tag build exposing the global `Shoal`.
// hls.js is a peer dependency and never bundled (the SDK only imports its types).
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const here = (path) => fileURLToPath(new URL(path, import.meta.url));
const common = {
  entryPoints: [here('./src/index.ts')],
  bundle: true,
  minify: true,
  sourcemap: true,
  platform: 'browser',
  target: 'es2020',
  external: ['hls.js'],
  logLevel: 'warning',
};

await build({ ...common, format: 'esm', outfile: here('./dist/bundle/shoal.esm.min.js') });
await build({ ...common, format: 'iife', globalName: 'Shoal', outfile: here('./dist/bundle/shoal.min.js') });
