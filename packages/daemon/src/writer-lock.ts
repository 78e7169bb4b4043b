import { constants } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { openOwnFile } from './own-file.js';
import { processRunning, processStartTime } from './process-running.js';

/** Lock files this process holds: a stale lock that carries our own pid (a restarted container) is not ours. */
const held = new Set<string>();

/**
 * Claims `<path>.lock` (holding this process's pid and, where there is /proc, its start time) so that one process at a
 * time appends to `path`: two daemons extending one hash chain would fork it. A lock left by a process that is gone is
 * taken over, and so is one whose pid now belongs to another process (its start time differs): a reused pid must not
 * keep the daemon from starting. The lock is created
 * with `O_EXCL` and read with `O_NOFOLLOW`, so a symbolic link planted at its path is refused, never followed.
 * Resolves with the function that releases it.
 */
export async function claimWriterLock(path: string): Promise<() => Promise<void>> {
  const lockPath = `${path}.lock`;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = await open(lockPath, 'wx', 0o600);
      try {
        await handle.writeFile(`${[process.pid, processStartTime(process.pid)].filter(Boolean).join(' ')}\n`);
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
    const [pid = '', started] = (await readLock(lockPath)).trim().split(' ');
    const holder = Number.parseInt(pid, 10);
    const alive = processRunning(holder) && (started === undefined || started === processStartTime(holder));
    if (holder > 0 && (holder === process.pid ? held.has(lockPath) : alive)) {
      throw new Error(`${path} is being written by process ${holder} (lock file ${lockPath})`);
    }
    await rm(lockPath, { force: true }); // its process is gone (or its pid is another process's now)
  }
  throw new Error(`could not lock ${path} (lock file ${lockPath} keeps changing)`);
}

/** The lock's text; '' when it vanished meanwhile. A link or another user's file at its path is refused. */
async function readLock(lockPath: string): Promise<string> {
  let handle: Awaited<ReturnType<typeof openOwnFile>>;
  try {
    handle = await openOwnFile(lockPath, constants.O_RDONLY, 'lock file');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw error;
  }
  try {
    const buffer = Buffer.alloc(64);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    return buffer.subarray(0, bytesRead).toString('latin1');
  } finally {
    await handle.close();
  }
}
