import { existsSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { resolve } from 'node:path';

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
  return statFields(pid)?.[0] === 'Z'; // no /proc (macOS): trust kill(0)
}

/**
 * When process `pid` started (clock ticks after boot, field 22 of /proc/<pid>/stat), or undefined without /proc. A pid
 * and its start time name one process for the life of the system: a pid reused by another process has another start
 * time.
 */
export function processStartTime(pid: number): string | undefined {
  return statFields(pid)?.[19];
}

/** The fields of /proc/<pid>/stat after "pid (comm) ", from the state on; comm may itself hold ") ". */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/**
 * Whether process `pid` runs `cavra-daemon start --foreground` from the CLI file `cliPath` (by the link-resolved path of
 * its script argument), read from /proc/<pid>/cmdline. Undefined where there is no /proc to ask (macOS) or the
 * process is another user's: the caller must then prove it some other way.
 */
export function runsDaemonCli(pid: number, cliPath: string): boolean | undefined {
  let argv: string[];
  try {
    argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' && existsSync('/proc/self') ? false : undefined;
  }
  const script = argv[1];
  if (script === undefined || !argv.includes('start') || !argv.includes('--foreground')) return false;
  try {
    return realpathSync(resolve(readlinkSync(`/proc/${pid}/cwd`), script)) === realpathSync(cliPath);
  } catch {
    return false;
  }
}
