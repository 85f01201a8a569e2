/**
 * What a process costs, read from /proc (Linux): its peak resident set and CPU seconds, for the consumer
 * processes the bench starts and for the local services (from the stack's pidfiles), and the machine's load.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Config } from '../../src/config';

export const SERVICES = ['kafka', 'mysql', 'cassandra', 'temporal'] as const;
export type ServiceName = (typeof SERVICES)[number];
export type ServiceCpuSeconds = Partial<Record<ServiceName, number>>;

/** The process's VmHWM (peak resident set) from /proc, in MB. */
export function processPeakRssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/^VmHWM:\s+(\d+)\s+kB/m.exec(status)?.[1] ?? 0);
  return Math.round(kb / 1024);
}

/** User + system CPU seconds of a process (and its reaped children), from /proc; null when it is gone. */
export function processCpuSeconds(pid: number): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 14..17 of stat (utime, stime, cutime, cstime), here shifted by the two before ')'.
    const ticks = [11, 12, 13, 14].reduce((n, i) => n + Number(fields[i]), 0);
    return ticks / 100; // USER_HZ is 100 on Linux
  } catch {
    return null;
  }
}

/** The pids of the local services, from the stack's pidfiles (absent when a service is someone else's). */
function servicePids(config: Config): Map<ServiceName, number> {
  const pids = new Map<ServiceName, number>();
  for (const s of SERVICES) {
    try {
      pids.set(s, Number(fs.readFileSync(path.join(config.stateDir, 'run', `${s}.pid`), 'utf8').trim()));
    } catch {
      // not started by this stack
    }
  }
  return pids;
}

/** CPU seconds the services use from now until the returned function is called. */
export function serviceCpuMeter(config: Config): () => ServiceCpuSeconds {
  const before = new Map(
    [...servicePids(config)].map(([s, pid]) => [s, { pid, cpu: processCpuSeconds(pid) }]),
  );
  return () => {
    const used: ServiceCpuSeconds = {};
    for (const [s, { pid, cpu }] of before) {
      const now = processCpuSeconds(pid);
      if (cpu !== null && now !== null) used[s] = Math.round((now - cpu) * 10) / 10;
    }
    return used;
  };
}

/** The 1-minute load average, to two decimals (the machine is shared: every run prints it). */
export const load1 = () => Math.round(os.loadavg()[0] * 100) / 100;

/** The 1-, 5- and 15-minute load averages as printed: "0.52 0.61 0.70". */
export const loadAverages = () =>
  os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
