import { execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { listNamespaces, processAlive, removeNamespace, run, runIn, runQuietly } from './commands.js';

/**
 * A network lab for one run: an "internet" namespace whose bridge holds the servers (origin, edge, coturn
 * bind to its address) and every home's router, and N homes, each a router namespace (WAN on the bridge, LAN
 * to a home namespace) with nftables NAT, stateful filtering that drops unsolicited inbound traffic as a home
 * router does, and tbf shaping of the uplink and downlink. Only private addresses, only inside namespaces the
 * lab creates; every name carries the run's prefix, and everything is removed on destroy(), on exit, and on
 * SIGINT/SIGTERM. `sweepStaleLabs()` removes what a killed run (SIGKILL) left behind.
 *
 * This kernel has no netem: the lab shapes bandwidth (tbf) but adds no delay or loss.
 */

/** `eim`: endpoint-independent mapping (`masquerade`, ports kept); `sym`: a new random port per destination (`masquerade fully-random`). */
export type NatKind = 'eim' | 'sym';

export interface HomeSpec {
  readonly nat: NatKind;
  /** tc rate, e.g. '2mbit'. */
  readonly uplink: string;
  readonly downlink: string;
}

export interface Home {
  readonly index: number;
  readonly nat: NatKind;
  /** Namespace the viewer runs in. */
  readonly namespace: string;
  readonly router: string;
  /** The viewer's address on the home LAN. */
  readonly lanAddress: string;
  /** The router's public (WAN) address on the lab internet. */
  readonly wanAddress: string;
}

/** Every lab namespace is named `shoalnl-<pid of the run>-<4 hex>-…`. */
const NAME = /^shoalnl-(\d+)-([0-9a-f]{4})-/;
export const LAB_NAMESPACE_PREFIX = 'shoalnl-';
/** The servers' address on the lab internet. */
export const INTERNET_ADDRESS = '172.31.0.1';

const active = new Set<NetLab>();
let handlersInstalled = false;

function installExitHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  const onSignal = (signal: NodeJS.Signals): void => {
    void Promise.allSettled([...active].map((lab) => lab.destroy())).then(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  // Last resort when the process exits without destroy(): synchronous, so it runs in an 'exit' handler.
  process.once('exit', () => {
    for (const lab of active) lab.destroySync();
  });
}

/** Whether `rate` is one `tc` takes as we write it: 2mbit, 500kbit. */
export function isRate(rate: string): boolean {
  return /^\d+(\.\d+)?(bit|kbit|mbit|gbit)$/.test(rate);
}

function validRate(rate: string): string {
  if (!isRate(rate)) throw new Error(`rate must look like 2mbit or 500kbit, got ${rate}`);
  return rate;
}

export class NetLab {
  readonly prefix: string;
  readonly internet: string;
  readonly homes: Home[] = [];
  private readonly namespaces: string[] = [];
  private readonly children = new Set<ChildProcess>();
  private destroying: Promise<void> | undefined;
  /** Short per-run tag for interface names (at most 15 characters). */
  private readonly tag: string;

  private constructor() {
    const id = randomBytes(2).toString('hex');
    this.prefix = `${LAB_NAMESPACE_PREFIX}${process.pid}-${id}-`;
    this.tag = `nl${id}`;
    this.internet = `${this.prefix}inet`;
  }

  /** Builds the internet and the homes; on any failure removes what was made and rethrows. */
  static async create(homes: readonly HomeSpec[]): Promise<NetLab> {
    if (homes.length < 1 || homes.length > 200) throw new Error('a lab has 1 to 200 homes');
    for (const home of homes) {
      validRate(home.uplink);
      validRate(home.downlink);
    }
    installExitHandlers();
    const lab = new NetLab();
    active.add(lab);
    try {
      await lab.buildInternet();
      for (let i = 0; i < homes.length; i++) await lab.buildHome(i + 1, homes[i]!);
    } catch (error) {
      await lab.destroy();
      throw error;
    }
    return lab;
  }

  private async addNamespace(name: string): Promise<void> {
    await run('ip', ['netns', 'add', name]);
    this.namespaces.push(name);
    await run('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
    // IPv4 only: keeps candidates and NAT behaviour to what the lab models.
    await runQuietly('ip', ['netns', 'exec', name, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1']);
    await runQuietly('ip', ['netns', 'exec', name, 'sysctl', '-qw', 'net.ipv6.conf.default.disable_ipv6=1']);
  }

  private async buildInternet(): Promise<void> {
    const ns = this.internet;
    await this.addNamespace(ns);
    const bridge = `${this.tag}br`;
    await run('ip', ['-n', ns, 'link', 'add', bridge, 'type', 'bridge']);
    await run('ip', ['-n', ns, 'addr', 'add', `${INTERNET_ADDRESS}/16`, 'dev', bridge]);
    await run('ip', ['-n', ns, 'link', 'set', bridge, 'up']);
    // With br_netfilter loaded, bridged frames would go through this namespace's (empty) netfilter hooks and
    // conntrack, which mangles the routers' NAT behaviour: the internet is a plain switch.
    for (const family of ['iptables', 'ip6tables', 'arptables']) {
      await runQuietly('ip', ['netns', 'exec', ns, 'sysctl', '-qw', `net.bridge.bridge-nf-call-${family}=0`]);
    }
  }

  private async buildHome(index: number, spec: HomeSpec): Promise<void> {
    const router = `${this.prefix}r${index}`;
    const home = `${this.prefix}h${index}`;
    await this.addNamespace(router);
    await this.addNamespace(home);
    const port = `${this.tag}p${index}`; // bridge port, in the internet namespace
    const wan = `${this.tag}w${index}`;
    const lan = `${this.tag}l${index}`;
    const host = `${this.tag}h${index}`;
    // Each home in its own /24 of the lab internet, as real homes are in different networks.
    const wanAddress = `172.31.${index}.2`;
    const lanAddress = `192.168.${index % 250}.2`;
    const gateway = `192.168.${index % 250}.1`;
    await run('ip', ['-n', this.internet, 'link', 'add', port, 'type', 'veth', 'peer', 'name', wan, 'netns', router]);
    await run('ip', ['-n', this.internet, 'link', 'set', port, 'master', `${this.tag}br`, 'up']);
    await run('ip', ['-n', router, 'addr', 'add', `${wanAddress}/16`, 'dev', wan]);
    await run('ip', ['-n', router, 'link', 'set', wan, 'up']);
    await run('ip', ['-n', router, 'link', 'add', lan, 'type', 'veth', 'peer', 'name', host, 'netns', home]);
    await run('ip', ['-n', router, 'addr', 'add', `${gateway}/24`, 'dev', lan]);
    await run('ip', ['-n', router, 'link', 'set', lan, 'up']);
    await run('ip', ['-n', home, 'addr', 'add', `${lanAddress}/24`, 'dev', host]);
    await run('ip', ['-n', home, 'link', 'set', host, 'up']);
    await run('ip', ['-n', home, 'route', 'add', 'default', 'via', gateway]);
    await runIn(router, 'sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
    await runIn(router, 'nft', ['-f', '-'], routerRules(wan, lan, spec.nat));
    // Uplink: what leaves the WAN; downlink: what leaves the LAN towards the viewer.
    await runIn(router, 'tc', ['qdisc', 'add', 'dev', wan, 'root', 'tbf', 'rate', spec.uplink, 'burst', '32kb', 'latency', '400ms']);
    await runIn(router, 'tc', ['qdisc', 'add', 'dev', lan, 'root', 'tbf', 'rate', spec.downlink, 'burst', '64kb', 'latency', '400ms']);
    this.homes.push({ index, nat: spec.nat, namespace: home, router, lanAddress, wanAddress });
  }

  /** Starts a process inside a lab namespace; it is killed when the lab is destroyed. */
  spawnIn(namespace: string, command: string, args: readonly string[], options: SpawnOptions = {}): ChildProcess {
    if (!this.namespaces.includes(namespace)) throw new Error(`${namespace} is not a namespace of this lab`);
    const child = spawn('ip', ['netns', 'exec', namespace, command, ...args], { stdio: ['ignore', 'pipe', 'pipe'], ...options });
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    return child;
  }

  /** Runs a command to completion inside a lab namespace. */
  exec(namespace: string, command: string, args: readonly string[]): Promise<string> {
    if (!this.namespaces.includes(namespace)) throw new Error(`${namespace} is not a namespace of this lab`);
    return runIn(namespace, command, args);
  }

  /** Kills the lab's processes and removes its namespaces (and with them every veth and bridge). Idempotent. */
  destroy(): Promise<void> {
    this.destroying ??= (async () => {
      for (const child of this.children) child.kill('SIGTERM');
      await Promise.all(this.namespaces.map((ns) => removeNamespace(ns)));
      active.delete(this);
    })();
    return this.destroying;
  }

  /** @internal The synchronous last resort of the 'exit' handler. */
  destroySync(): void {
    for (const child of this.children) child.kill('SIGKILL');
    for (const ns of this.namespaces) {
      try {
        const pids = execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).split('\n').map(Number).filter((p) => p > 0);
        for (const pid of pids) process.kill(pid, 'SIGKILL');
      } catch {
        // gone already
      }
      try {
        execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
      } catch {
        // gone already
      }
    }
    active.delete(this);
  }
}

/** The router's nftables ruleset: NAT on the WAN, and only replies (or what the LAN starts) get in. */
export function routerRules(wan: string, lan: string, nat: NatKind): string {
  return `table ip shoal_lab {
  chain input {
    type filter hook input priority filter; policy drop;
    ct state established,related accept
    iifname "lo" accept
    iifname "${lan}" accept
  }
  chain forward {
    type filter hook forward priority filter; policy drop;
    ct state established,related accept
    iifname "${lan}" oifname "${wan}" accept
  }
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "${wan}" masquerade${nat === 'sym' ? ' fully-random' : ''}
  }
}
`;
}

/**
 * Removes the namespaces (and the processes in them) of lab runs whose process is gone: what a run killed
 * with SIGKILL leaves behind. Returns the namespaces removed.
 */
export async function sweepStaleLabs(): Promise<string[]> {
  const stale = (await listNamespaces()).filter((name) => {
    const match = NAME.exec(name);
    return match !== null && Number(match[1]) !== process.pid && !processAlive(Number(match[1]));
  });
  await Promise.all(stale.map((ns) => removeNamespace(ns)));
  return stale;
}

/** Namespaces whose name starts with `prefix`. */
export async function namespacesWithPrefix(prefix: string): Promise<string[]> {
  return (await listNamespaces()).filter((name) => name.startsWith(prefix));
}
