// CPU time of another process, from /proc (Linux): what a server spends per request, which the clients' view
// (requests per second, latency) cannot show when the machine's cores are shared with the load generator.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

let ticksPerSecond: number | undefined;

/** User + system CPU time of `pid` in µs so far, or undefined where /proc or getconf is missing. */
export function cpuMicroseconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    ticksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    // Fields after the command name (which may hold spaces), from the 3rd: utime and stime are the 14th and 15th.
    const fields = (readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1] ?? '').split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) && ticksPerSecond > 0 ? (ticks / ticksPerSecond) * 1e6 : undefined;
  } catch {
    return undefined;
  }
}
