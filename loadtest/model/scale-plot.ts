import type { ModelResult } from './model-run.js';

const WIDTH = 640;
const HEIGHT = 360;
const MARGIN = { left: 60, right: 60, top: 40, bottom: 50 };

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Offload (share of the limit, left axis) and HTTP copies per segment (median and p95, right axis) against
 * the number of viewers on a log scale, as a standalone SVG: the model's scale curve, viewable anywhere.
 */
export function scalePlotSvg(results: readonly ModelResult[]): string {
  if (results.length === 0) throw new Error('nothing to plot');
  const sorted = [...results].sort((a, b) => a.options.viewers - b.options.viewers);
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const logs = sorted.map((r) => Math.log10(r.options.viewers));
  const minLog = Math.min(...logs);
  const spanLog = Math.max(...logs) - minLog || 1;
  const x = (viewers: number): number => MARGIN.left + ((Math.log10(viewers) - minLog) / spanLog) * plotW;
  const maxCopies = Math.max(2, ...sorted.map((r) => (Number.isFinite(r.figures.httpCopiesP95) ? r.figures.httpCopiesP95 : 0))) * 1.1;
  const yShare = (share: number): number => MARGIN.top + (1 - Math.max(0, Math.min(1, share))) * plotH;
  const yCopies = (copies: number): number => MARGIN.top + (1 - copies / maxCopies) * plotH;
  const line = (points: [number, number][], colour: string, dash = ''): string =>
    `<polyline fill="none" stroke="${colour}" stroke-width="2"${dash ? ` stroke-dasharray="${dash}"` : ''} points="${points.map(([px, py]) => `${px.toFixed(1)},${py.toFixed(1)}`).join(' ')}"/>` +
    points.map(([px, py]) => `<circle cx="${px.toFixed(1)}" cy="${py.toFixed(1)}" r="3" fill="${colour}"/>`).join('');
  const share = sorted.map((r): [number, number] => [x(r.options.viewers), yShare(r.figures.offloadLimit === 0 ? 0 : r.figures.offloadRatio / r.figures.offloadLimit)]);
  const median = sorted.map((r): [number, number] => [x(r.options.viewers), yCopies(r.figures.httpCopiesMedian)]);
  const p95 = sorted.map((r): [number, number] => [x(r.options.viewers), yCopies(r.figures.httpCopiesP95)]);
  const ticks = sorted.map((r) => `<text x="${x(r.options.viewers).toFixed(1)}" y="${HEIGHT - MARGIN.bottom + 18}" text-anchor="middle">${r.options.viewers}</text>`);
  const leftTicks = [0, 0.25, 0.5, 0.75, 1].map((s) => `<text x="${MARGIN.left - 8}" y="${(yShare(s) + 4).toFixed(1)}" text-anchor="end">${s * 100} %</text>`);
  const rightTicks = [0, 0.5, 1].map((f) => `<text x="${WIDTH - MARGIN.right + 8}" y="${(yCopies(f * maxCopies) + 4).toFixed(1)}">${(f * maxCopies).toFixed(1)}</text>`);
  const o = sorted[0]!.options;
  const title = `Shoal swarm model: ${o.durationSeconds} s, ${o.streamKbps} kbit/s, churn ${o.churn}`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${WIDTH / 2}" y="20" text-anchor="middle" font-size="14">${escape(title)}</text>`,
    `<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#999"/>`,
    ...ticks,
    ...leftTicks,
    ...rightTicks,
    `<text x="${WIDTH / 2}" y="${HEIGHT - 12}" text-anchor="middle">viewers (log scale)</text>`,
    line(share, '#1f77b4'),
    line(median, '#d62728', '4 3'),
    line(p95, '#ff7f0e', '2 2'),
    `<text x="${MARGIN.left + 8}" y="${MARGIN.top + 16}" fill="#1f77b4">offload / limit (left)</text>`,
    `<text x="${MARGIN.left + 8}" y="${MARGIN.top + 32}" fill="#d62728">HTTP copies per segment, median (right)</text>`,
    `<text x="${MARGIN.left + 8}" y="${MARGIN.top + 48}" fill="#ff7f0e">HTTP copies per segment, p95 (right)</text>`,
    '</svg>',
    '',
  ].join('\n');
}
