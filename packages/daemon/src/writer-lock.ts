import { open, readFile, rm } from 'node:fs/promises';
import { processRunning } from './process-running.js';

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
    if (holder > 0 && (holder === process.pid ? held.has(lockPath) : processRunning(holder))) {
      throw new Error(`${path} is being written by process ${holder} (lock file ${lockPath})`);
    }
    await rm(lockPath, { force: true }); // its process is gone
  }
  throw new Error(`could not lock ${path} (lock file ${lockPath} keeps changing)`);
}
