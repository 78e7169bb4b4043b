import { randomBytes } from 'node:crypto';
import { constants, fdatasync, write } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';

/**
 * On Linux, O_DSYNC: each write returns once its data is on stable storage, as a write followed by fdatasync would,
 * in one system call instead of two trips through the thread pool (the round trip is most of a decision's time at
 * one client). Elsewhere durableWrite calls fdatasync itself: on macOS O_DSYNC does not flush the drive's cache,
 * while Node's fdatasync there does (F_FULLFSYNC).
 */
export const SYNCED_WRITES: number = process.platform === 'linux' ? constants.O_DSYNC : 0;

/**
 * Writes every byte, then returns once they are durable. A single write() may be cut short (a full disk, a file
 * size limit) without an error, which would acknowledge a torn record. Callbacks rather than the promise API, which
 * costs more per call on this path.
 */
export function durableWrite(fd: number, data: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const synced = () =>
      SYNCED_WRITES ? resolve() : fdatasync(fd, (error) => (error ? reject(error) : resolve()));
    const from = (offset: number) =>
      write(fd, data, offset, data.length - offset, null, (error, written) => {
        if (error) reject(error);
        else if (offset + written < data.length) from(offset + written);
        else synced();
      });
    from(0);
  });
}

export async function syncDirectory(path: string): Promise<void> {
  const directory = await open(path, 'r');
  try {
    await directory.sync();
  } finally {
    await directory.close();
  }
}

/**
 * Replaces `target` atomically with `text`: a new file (mode 0600, its data synced) renamed over it, so a reader finds
 * the old content or the new, never part of one; a link at `target` is replaced, never followed.
 */
export async function replaceFile(target: string, text: string): Promise<void> {
  const temporary = `${target}.${randomBytes(6).toString('hex')}.tmp`;
  const file = await open(temporary, 'wx', 0o600);
  try {
    await file.writeFile(text);
    await file.datasync();
  } finally {
    await file.close();
  }
  await rename(temporary, target).catch(async (error) => {
    await rm(temporary, { force: true });
    throw error;
  });
}
