/**
 * Uplink mixes for the simulator: `fiber:0.2:50mbit,cable:0.5:5mbit,dsl:0.3:1mbit` gives each viewer one
 * class, in the shares given, with that class's upload rate (a per-viewer SDK upload cap in the simulator).
 * A fourth field gives the class its downlink (`dsl:0.3:1mbit:6mbit`; the swarm model shapes it).
 */

export interface UplinkClass {
  readonly name: string;
  readonly share: number;
  readonly bytesPerSecond: number;
  /** The class's downlink, bytes per second, when the mix gives one. */
  readonly downBytesPerSecond?: number;
}

const UNITS: Record<string, number> = { '': 1, bit: 1 / 8, kbit: 1000 / 8, mbit: 1_000_000 / 8, gbit: 1_000_000_000 / 8, b: 1, kb: 1000, mb: 1_000_000 };

/** A rate such as `5mbit`, `800kbit`, `150000` (bytes/s) or `150kb`, in bytes per second. */
export function parseRate(text: string): number {
  const match = /^(\d+(?:\.\d+)?)([a-z]*)$/i.exec(text.trim());
  const unit = match ? UNITS[match[2]!.toLowerCase()] : undefined;
  if (!match || unit === undefined) throw new Error(`uplink rate "${text}" is not a number with an optional unit (bit, kbit, mbit, gbit, b, kb, mb)`);
  const rate = Number(match[1]) * unit;
  if (!(rate > 0)) throw new Error(`uplink rate "${text}" must be above 0`);
  return rate;
}

/** Parses `name:share:rate[:downlink],…`; shares must be positive and add up to 1 (±0.01). */
export function parseUplinkMix(text: string): UplinkClass[] {
  const classes = text.split(',').map((part) => {
    const fields = part.split(':');
    if ((fields.length !== 3 && fields.length !== 4) || !/^[a-z][a-z0-9_-]*$/i.test(fields[0]!)) {
      throw new Error(`uplink class "${part}" is not name:share:rate or name:share:rate:downlink (e.g. dsl:0.3:1mbit:6mbit)`);
    }
    const share = Number(fields[1]);
    if (!(share > 0 && share <= 1)) throw new Error(`uplink class "${part}": share must be in (0, 1]`);
    return { name: fields[0]!, share, bytesPerSecond: parseRate(fields[2]!), ...(fields[3] !== undefined ? { downBytesPerSecond: parseRate(fields[3]) } : {}) };
  });
  if (new Set(classes.map((c) => c.name)).size !== classes.length) throw new Error('uplink class names must differ');
  const total = classes.reduce((sum, c) => sum + c.share, 0);
  if (Math.abs(total - 1) > 0.01) throw new Error(`uplink shares add up to ${total.toFixed(3)}, not 1`);
  return classes;
}

/**
 * The class of viewer `index` of `count`: exactly round(share × count) viewers per class (largest
 * remainders), spread over the join order rather than in blocks, so every class joins early and late.
 */
export function assignUplinks(classes: readonly UplinkClass[], count: number): UplinkClass[] {
  const quotas = classes.map((c) => Math.floor(c.share * count));
  const byRemainder = classes.map((c, i) => ({ i, rest: c.share * count - quotas[i]! })).sort((a, b) => b.rest - a.rest);
  for (let k = 0; quotas.reduce((a, b) => a + b, 0) < count; k++) quotas[byRemainder[k % classes.length]!.i]!++;
  // Deal the classes out like cards: at each position, the class furthest behind its share so far.
  const dealt = classes.map(() => 0);
  const out: UplinkClass[] = [];
  for (let position = 1; position <= count; position++) {
    let pick = -1;
    let behind = -Infinity;
    classes.forEach((_, i) => {
      if (dealt[i]! >= quotas[i]!) return;
      const lag = (quotas[i]! * position) / count - dealt[i]!;
      if (lag > behind) [pick, behind] = [i, lag];
    });
    dealt[pick]!++;
    out.push(classes[pick]!);
  }
  return out;
}
