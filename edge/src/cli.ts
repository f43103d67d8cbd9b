#!/usr/bin/env node
import pino from 'pino';
import { createEdge } from './app.js';
import { EDGE_USAGE, parseEdgeCli } from './cli-options.js';
import { startEdgeServer } from './server.js';

async function main(): Promise<void> {
  let settings;
  try {
    settings = parseEdgeCli(process.argv.slice(2), process.env);
  } catch (error) {
    process.stderr.write(`shoal-edge: ${(error as Error).message}\n\n${EDGE_USAGE}`);
    process.exit(2);
  }
  if (settings.help) {
    process.stdout.write(EDGE_USAGE);
    return;
  }
  const log = pino({ name: 'shoal-edge', level: settings.logLevel });
  const edge = await createEdge(settings.edge, { logger: log });
  const server = await startEdgeServer(edge, settings.port, settings.host);
  log.info(
    { url: server.url, tracker: server.trackerUrl, region: edge.options.region, node: edge.cluster?.nodeId, redis: edge.options.redisUrl !== undefined },
    'edge listening',
  );

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    void server.close().then(() => {
      log.info('stopped');
      process.exit(0);
    });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  process.stderr.write(`shoal-edge: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
