// Bundles the SDK for browsers: an ES module and a <script>-tag build exposing the global `Shoal`.
// hls.js is a peer dependency and never bundled (the SDK only imports its types).
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { bundleOptions } from './bundle-options.mjs';

const here = (path) => fileURLToPath(new URL(path, import.meta.url));
const common = {
  ...bundleOptions,
  entryPoints: [here('./src/index.ts')],
  sourcemap: true,
  logLevel: 'warning',
};

await build({ ...common, format: 'esm', outfile: here('./dist/bundle/shoal.esm.min.js') });
await build({ ...common, format: 'iife', globalName: 'Shoal', outfile: here('./dist/bundle/shoal.min.js') });
