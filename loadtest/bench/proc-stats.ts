import { readFileSync } from 'node:fs';

/**
 * CPU seconds and RSS of a process read from /proc, without asking it: a saturated process would answer an IPC
 * question late and stretch the measured window.
 */
export function procStats(pid: number): { cpuSeconds: number; rss: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14 and 15 (utime, stime) in clock ticks (100 per second on Linux); 24 (rss) in pages of 4 KiB.
  return { cpuSeconds: (Number(fields[11]) + Number(fields[12])) / 100, rss: Number(fields[21]) * 4096 };
}
