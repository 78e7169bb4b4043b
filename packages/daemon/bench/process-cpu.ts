// CPU time of another process, from /proc (Linux): what a server spends per request, which the clients' view
// (requests per second, latency) cannot show when the machine's cores are shared with the load generator.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';

let ticksPerSecond: number | undefined;

/** User and system CPU time of a process so far, in µs. */
export interface CpuTime {
  readonly user: number;
  readonly system: number;
}

/** User and system CPU time of `pid` so far, or undefined where /proc or getconf is missing. */
export function cpuMicroseconds(pid: number | undefined): CpuTime | undefined {
  if (pid === undefined) return undefined;
  try {
    ticksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    // Fields after the command name (which may hold spaces), from the 3rd: utime and stime are the 14th and 15th.
    const fields = (readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1] ?? '').split(' ');
    const [user, system] = [Number(fields[11]), Number(fields[12])];
    if (!Number.isFinite(user) || !Number.isFinite(system) || !(ticksPerSecond > 0)) return undefined;
    return { user: (user / ticksPerSecond) * 1e6, system: (system / ticksPerSecond) * 1e6 };
  } catch {
    return undefined;
  }
}

/**
 * On-CPU time of `pid` so far, in ms at the scheduler's nanosecond resolution (`/proc/<pid>/task/<tid>/schedstat`):
 * of its main thread (the JavaScript) and of all its threads; undefined when the kernel gives none.
 */
export function schedCpuMs(pid: number | undefined): { main: number; all: number } | undefined {
  if (pid === undefined) return undefined;
  try {
    const onCpu = (tid: string) =>
      Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
    const all = readdirSync(`/proc/${pid}/task`).reduce((sum, tid) => sum + onCpu(tid), 0);
    return { main: onCpu(String(pid)), all };
  } catch {
    return undefined;
  }
}

/** The machine's load averages (1, 5, 15 min) and core count: a figure from a loaded machine says so beside it. */
export function machineLoad(): string {
  const [one, five, fifteen] = loadavg().map((load) => load.toFixed(2));
  return `load average ${one} ${five} ${fifteen} on ${availableParallelism()} cores`;
}
