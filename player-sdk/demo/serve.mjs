#!/usr/bin/env node
// Serves the Shoal demo page: the page, the SDK's <script> build, hls.js, and where origin and edge are.
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '8088' },
    host: { type: 'string', default: '0.0.0.0' },
    'origin-port': { type: 'string', default: '8080' },
    'edge-port': { type: 'string', default: '8000' },
    stream: { type: 'string', default: '/live/demo/master.m3u8' },
    'stats-path': { type: 'string', default: '/stats' },
  },
});
const require = createRequire(import.meta.url);
const here = (path) => fileURLToPath(new URL(path, import.meta.url));
const files = {
  '/': { path: here('./index.html'), type: 'text/html; charset=utf-8' },
  '/shoal.min.js': { path: here('../dist/bundle/shoal.min.js'), type: 'text/javascript' },
  '/hls.min.js': { path: require.resolve('hls.js/dist/hls.min.js'), type: 'text/javascript' },
};
const config = JSON.stringify({
  originPort: Number(values['origin-port']),
  edgePort: Number(values['edge-port']),
  streamPath: values.stream,
  statsPath: values['stats-path'] || undefined,
});

const server = createServer(async (req, res) => {
  const path = (req.url ?? '/').split('?')[0];
  if (path === '/config.json') {
    res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' }).end(config);
    return;
  }
  const file = files[path];
  if (!file) {
    res.writeHead(404).end('not found');
    return;
  }
  let body;
  try {
    body = await readFile(file.path);
  } catch {
    res.writeHead(500, { 'Content-Type': 'text/plain' }).end(`missing ${path}: run npm run build`);
    return;
  }
  res.writeHead(200, { 'Content-Type': file.type, 'Cache-Control': 'no-cache' }).end(body);
});
server.listen(Number(values.port), values.host, () => {
  console.log(JSON.stringify({ msg: 'demo page listening', url: `http://localhost:${server.address().port}/` }));
});
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
