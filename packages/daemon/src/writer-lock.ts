import { readFileSync } from 'node:fs';
import { open, readFile, rm } from 'node:fs/promises';

/** Lock files this process holds: a stale lock that carries our own pid (a restarted container) is not ours. */
const held = new Set<string>();

/**
 * Claims `<path>.lock` (holding this process's pid) so that one process at a time appends to `path`: two daemons
 * extending one hash chain would fork it. A lock left by a process that is gone is taken over. Resolves with the
 * function that releases it.
 */
export async function claimWriterLock(path: string): Promise<() => Promise<void>> {
  const lockPath = `${path}.lock`;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = await open(lockPath, 'wx', 0o600);
      try {
        await handle.writeFile(`${process.pid}\n`);
      } finally {
        await handle.close();
      }
      held.add(lockPath);
      return async () => {
        held.delete(lockPath);
        await rm(lockPath, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = Number.parseInt(await readFile(lockPath, 'utf8').catch(() => ''), 10);
    if (holder > 0 && (holder === process.pid ? held.has(lockPath) : running(holder))) {
      throw new Error(`${path} is being written by process ${holder} (lock file ${lockPath})`);
    }
    await rm(lockPath, { force: true }); // its process is gone
  }
  throw new Error(`could not lock ${path} (lock file ${lockPath} keeps changing)`);
}

/** Whether the process exists and is not a zombie waiting to be reaped (a SIGKILLed daemon's parent may be slow). */
function running(pid: number): boolean {
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
