import { NetLab } from './lab.js';

/**
 * Builds a two-home lab, prints its namespace prefix, and waits to be stopped: what the cleanup tests kill
 * (SIGTERM, SIGINT: the lab removes itself; SIGKILL: `sweepStaleLabs()` must).
 */
const lab = await NetLab.create([
  { nat: 'eim', uplink: '2mbit', downlink: '20mbit' },
  { nat: 'sym', uplink: '2mbit', downlink: '20mbit' },
]);
// A process inside the lab too, as the viewers and servers are.
lab.spawnIn(lab.homes[0]!.namespace, 'sleep', ['600'], { stdio: 'ignore' });
process.stdout.write(`${lab.prefix}\n`);
setInterval(() => undefined, 60_000);
