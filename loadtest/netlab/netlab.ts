import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseNetlabOptions, type NetlabOptions } from './netlab-options.js';
import { formatNetlab } from './netlab-report.js';
import { runNetlab } from './netlab-run.js';

/**
 * The network lab's command line: runs the lab (netlab-run.ts), prints the table (netlab-report.ts) and
 * writes JSON.
 *
 *   npm run netlab -- --homes 6 --nat eim --uplink 2mbit --downlink 20mbit --seconds 60
 */

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  let options: NetlabOptions & { help: boolean };
  try {
    options = parseNetlabOptions(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`netlab: ${(error as Error).message}\n`);
    process.exit(2);
  }
  if (options.help) {
    process.stdout.write(`Usage: npm run netlab -- [--homes 6] [--nat eim|sym|mixed] [--uplink 2mbit] [--downlink 20mbit] [--seconds 60]
  [--no-stun] [--turn] [--nat-aware-matching on|off] [--video-kbps 800] [--viewer node|chromium] [--no-baseline] [--out file.json]
  [--ladder] [--level auto|0|1|2]
--uplink and --downlink take one rate or a list given to the homes in turn (--downlink 20mbit,20mbit,1500kbit).
--ladder publishes the demo's three renditions (1200, 700, 300 kbit/s video); --level (Chromium viewers, implies
--ladder) sets the page's hls.js level: auto for ABR, or an index (0 the lowest).
Needs root (network namespaces, nftables, tc) and coturn's turnserver.
`);
    process.exit(0);
  }
  const result = await runNetlab(options);
  console.log(formatNetlab(result));
  const out = options.out ?? fileURLToPath(new URL('../results/netlab-latest.json', import.meta.url));
  await mkdir(join(out, '..'), { recursive: true });
  await writeFile(out, JSON.stringify(result, null, 2));
  console.log(`  written to ${out}`);
}
