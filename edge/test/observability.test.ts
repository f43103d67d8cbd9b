import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { RTCPeerConnection } from 'node-datachannel/polyfill';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { OriginServer } from '../../test-support/shoal-origin.js';
import type { EngineOptions } from '@shoal/player-sdk';
import { SimulatedViewer } from '../../loadtest/swarm/simulated-viewer.js';
import { freePort } from '../../test-support/free-port.js';
import { startStack, waitForLiveSegments, type TestStack } from '../../test-support/stack.js';
import type { EdgeServer } from '../src/index.js';

/**
 * The Prometheus and Grafana files in grafana/: promtool accepts them, every metric they name is exported
 * by a running origin and edge, and a real Prometheus scraping a real origin and edge while SDK viewers play
 * computes the offload ratio the viewers themselves report.
 */

const run = promisify(execFile);
const GRAFANA = fileURLToPath(new URL('../../grafana/', import.meta.url));

let stack: TestStack;
let origin: OriginServer;
let edge: EdgeServer;

beforeAll(async () => {
  // Every viewer here reports from 127.0.0.1: give that one address the report rate of many.
  stack = await startStack({
    name: 'observability',
    ladder: [{ width: 426, height: 240, videoKbps: 400 }],
    edge: { statsReportsPerSecond: 100, statsReportsBurst: 200 },
  });
  ({ origin, edge } = stack);
});

afterAll(() => stack?.close());

/** Metric names in PromQL expressions (recording-rule names, with a colon, excluded). */
function metricNames(expressions: string[]): Set<string> {
  const names = new Set<string>();
  for (const expr of expressions) for (const match of expr.matchAll(/\b(shoal_[a-z0-9_]+)/g)) names.add(match[1]!.replace(/_(bucket|count|sum)$/, ''));
  return names;
}

describe('Prometheus and Grafana files', () => {
  it('pass promtool', async () => {
    const config = await run('promtool', ['check', 'config', join(GRAFANA, 'prometheus/prometheus.yml')]);
    expect(config.stdout + config.stderr).toContain('SUCCESS');
    const rules = await run('promtool', ['check', 'rules', join(GRAFANA, 'prometheus/rules.yml')]);
    expect(rules.stdout + rules.stderr).toMatch(/SUCCESS: \d+ rules found/);
    // Rule unit tests: relayed peer bytes count in the total, not as offload.
    const tests = await run('promtool', ['test', 'rules', join(GRAFANA, 'prometheus/rules.test.yml')]);
    expect(tests.stdout + tests.stderr).toContain('SUCCESS');
  });

  it('name only metrics that the running origin and edge export', async () => {
    const dashboard = JSON.parse(await readFile(join(GRAFANA, 'dashboards/shoal-overview.json'), 'utf8')) as {
      panels: { targets: { expr: string }[] }[];
      templating: { list: { definition?: string }[] };
    };
    const rules = await readFile(join(GRAFANA, 'prometheus/rules.yml'), 'utf8');
    const expressions = [
      ...dashboard.panels.flatMap((panel) => panel.targets.map((target) => target.expr)),
      ...dashboard.templating.list.map((variable) => variable.definition ?? ''),
      ...rules.split('\n').filter((line) => line.includes('shoal_')),
    ];
    const named = metricNames(expressions);
    expect(named.size).toBeGreaterThan(15);
    const exported = new Set<string>();
    for (const url of [`${origin.url}/metrics`, `${edge.url}/metrics`]) {
      for (const match of (await (await fetch(url)).text()).matchAll(/^# TYPE (\S+) /gm)) exported.add(match[1]!);
    }
    const missing = [...named].filter((name) => !exported.has(name));
    expect(missing).toEqual([]);
    // Recording rules the dashboard uses are defined.
    for (const match of JSON.stringify(dashboard).matchAll(/(shoal:[a-z0-9_:]+)/g)) expect(rules).toContain(`record: ${match[1]}`);
  });
});

describe('a real Prometheus scraping origin and edge while SDK viewers play', () => {
  it('computes shoal:offload_ratio:rate1m within a few percent of what the viewers report', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'shoal-prometheus-'));
    const port = await freePort();
    const config = [
      'global: { scrape_interval: 1s, evaluation_interval: 1s }',
      `rule_files: [${JSON.stringify(join(GRAFANA, 'prometheus/rules.yml'))}]`,
      'scrape_configs:',
      `  - job_name: shoal-origin\n    static_configs: [{ targets: ['${new URL(origin.url).host}'] }]`,
      `  - job_name: shoal-edge\n    static_configs: [{ targets: ['${new URL(edge.url).host}'] }]`,
    ].join('\n');
    await writeFile(join(dir, 'prometheus.yml'), config);
    const prometheus: ChildProcess = spawn(
      'prometheus',
      [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let prometheusLog = '';
    prometheus.stderr!.on('data', (chunk: Buffer) => (prometheusLog = (prometheusLog + chunk.toString()).slice(-4000)));
    const viewers: SimulatedViewer[] = [];
    try {
      const playlistUrl = `${edge.url}/live/demo/0/index.m3u8`;
      await waitForLiveSegments(playlistUrl);
      const engine: Partial<EngineOptions> = {
        trackerUrl: edge.trackerUrl,
        statsUrl: `${edge.url}/stats`,
        statsIntervalMs: 1000,
        RTCPeerConnection: RTCPeerConnection as unknown as EngineOptions['RTCPeerConnection'],
        WebSocket: WebSocket as unknown as EngineOptions['WebSocket'],
        iceServers: [],
        announceIntervalSeconds: 3,
      };
      for (let i = 0; i < 4; i++) {
        const viewer = new SimulatedViewer(`viewer-${i}`, { playlistUrl, engine, statsStream: '/live/demo/master.m3u8' });
        viewer.start();
        viewers.push(viewer);
        await new Promise((resolve) => setTimeout(resolve, 1_500));
      }
      await new Promise((resolve) => setTimeout(resolve, 30_000));
      const reports = viewers.map((viewer) => viewer.report());
      const p2p = reports.reduce((sum, r) => sum + r.p2pBytes, 0);
      const total = reports.reduce((sum, r) => sum + r.p2pBytes + r.httpBytes, 0);
      // Let the last reports be scraped and the rule evaluated.
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      const query = await fetch(`http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent('shoal:offload_ratio:rate1m{stream="live/demo"}')}`);
      const body = (await query.json()) as { status: string; data: { result: { value: [number, string] }[] } };
      expect(body.status, prometheusLog).toBe('success');
      expect(body.data.result, prometheusLog).toHaveLength(1);
      const prometheusRatio = Number(body.data.result[0]!.value[1]);
      const viewersRatio = p2p / total;
      console.log(`offload ratio: viewers report ${(viewersRatio * 100).toFixed(1)} %, Prometheus shoal:offload_ratio:rate1m ${(prometheusRatio * 100).toFixed(1)} %`);
      expect(viewersRatio).toBeGreaterThan(0.3);
      expect(Math.abs(prometheusRatio - viewersRatio)).toBeLessThan(0.05);
    } finally {
      for (const viewer of viewers) viewer.stop();
      prometheus.kill('SIGTERM');
      await new Promise((resolve) => prometheus.once('exit', resolve));
      await rm(dir, { recursive: true, force: true });
    }
  });
});
