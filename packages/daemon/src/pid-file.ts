import { constants } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { openOwnFile } from './own-file.js';

const PID_TEXT = /^[1-9][0-9]{0,9}\n?$/;

/**
 * The pid in a pid file, or undefined when there is none or it holds no pid (a stale or garbled file). Never follows
 * a symbolic link: one is refused (UnsafeFileError), as is a file of another user.
 */
export async function readPidFile(path: string): Promise<number | undefined> {
  let text: string;
  try {
    const handle = await openOwnFile(path, constants.O_RDONLY, 'pid file');
    try {
      const buffer = Buffer.alloc(16);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
      text = buffer.subarray(0, bytesRead).toString('latin1');
    } finally {
      await handle.close();
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  return PID_TEXT.test(text) ? Number.parseInt(text, 10) : undefined;
}

/**
 * Writes `pid` to a pid file, 0600, at once: a reader (`cavra-daemon stop` while the daemon starts) sees the old file
 * or the new one, never an empty file it would take for "not running". An existing file is replaced only when it
 * is this user's regular file: a symbolic link or another user's file is refused (UnsafeFileError).
 */
export async function writePidFile(path: string, pid: number): Promise<void> {
  await openOwnFile(path, constants.O_RDONLY, 'pid file').then(
    (existing) => existing.close(),
    (error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    },
  );
  await replaceFile(path, `${pid}\n`, 'pid file');
}

/** Removes the pid file if it still names `pid` (another daemon may have written its own since). */
export async function removePidFile(path: string, pid: number): Promise<void> {
  if ((await readPidFile(path).catch(() => undefined)) === pid) await rm(path, { force: true });
}

/**
 * Replaces `path` with `text` at once (a reader sees the old or the new file, never half of one): written to a new
 * file beside it (`O_EXCL`, which never follows a link), then renamed over it (which replaces a link, not its target).
 */
export async function replaceFile(path: string, text: string, what: string): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  await rm(temporary, { force: true });
  const handle = await openOwnFile(
    temporary,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL,
    what,
  );
  try {
    await handle.write(text, 0);
  } finally {
    await handle.close();
  }
  await rename(temporary, path);
}
