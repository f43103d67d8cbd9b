import { cpus, totalmem } from 'node:os';

/** Facts printed beside every benchmark figure, so numbers from different machines are not compared blindly. */
export function machineFacts(): string {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  return `${cpus().length} cores (${cpu}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${process.platform}/${process.arch}`;
}
