import { readFileSync } from 'node:fs';

/**
 * Whether process `pid` exists and is not a zombie waiting to be reaped (a SIGKILLed or stopped daemon's parent may be
 * slow to collect it). A process of another user exists too (`EPERM`).
 */
export function processRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  return !zombie(pid);
}

function zombie(pid: number): boolean {
  try {
    // /proc/<pid>/stat: "pid (comm) state ..."; comm may itself hold ") ", so read after the last one.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(') ') + 2, stat.lastIndexOf(') ') + 3) === 'Z';
  } catch {
    return false; // no /proc (macOS): trust kill(0)
  }
}
