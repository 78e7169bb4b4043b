import { constants, type Stats } from 'node:fs';
import { type FileHandle, open, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { getSystemErrorMap } from 'node:util';
import { shareInstanceof } from '@cavra/contracts';

/** Why a file the daemon keeps (pid file, lock, log, evidence log) was refused. */
export class UnsafeFileError extends Error {
  readonly code: 'symlink' | 'not_a_file' | 'not_owner' | 'writable_by_others';
  readonly path: string;

  constructor(code: UnsafeFileError['code'], path: string, message: string) {
    super(message);
    this.name = 'UnsafeFileError';
    this.code = code;
    this.path = path;
  }
}
shareInstanceof(UnsafeFileError, '@cavra/daemon.UnsafeFileError');

const uid = () => process.getuid?.();

/**
 * Opens one of the daemon's own files without following a symbolic link (`O_NOFOLLOW`): a link planted at the path
 * would make the daemon write its pid or records into the link's target. The file opened must be a regular file of
 * this user; `private`: not writable by group or others either. `what` names the file in errors ("pid file").
 */
export async function openOwnFile(
  path: string,
  flags: number,
  what: string,
  options: { readonly private?: boolean; readonly mode?: number } = {},
): Promise<FileHandle> {
  let handle: FileHandle;
  try {
    handle = await open(path, flags | constants.O_NOFOLLOW, options.mode ?? 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOOP') {
      throw new UnsafeFileError(
        'symlink',
        path,
        `${what} ${path} is a symbolic link; refusing to follow it (remove it if you did not make it)`,
      );
    }
    throw error;
  }
  try {
    checkOwnFile(path, await handle.stat(), what, options.private ?? false);
    return handle;
  } catch (error) {
    await handle.close();
    throw error;
  }
}

function checkOwnFile(path: string, info: Stats, what: string, privateFile: boolean): void {
  if (!info.isFile()) throw new UnsafeFileError('not_a_file', path, `${what} ${path} is not a regular file`);
  if (uid() !== undefined && info.uid !== uid()) {
    throw new UnsafeFileError(
      'not_owner',
      path,
      `${what} ${path} belongs to another user (uid ${info.uid}); refusing to use it`,
    );
  }
  if (privateFile && (info.mode & 0o022) !== 0) {
    throw new UnsafeFileError(
      'writable_by_others',
      path,
      `${what} ${path} is writable by group or others (mode ${(info.mode & 0o777).toString(8)}): whoever can write it can rewrite it; check it, then chmod 600 it`,
    );
  }
}

/**
 * The folder of a private file must not let others replace the file: owned by this user (or root) and not writable
 * by group or others (a sticky /tmp is refused too: another user could create the file before us).
 */
export async function checkPrivateDirectory(path: string, what: string): Promise<void> {
  const dir = dirname(path);
  const info = await stat(dir);
  const owner = uid();
  if ((info.mode & 0o022) !== 0 || (owner !== undefined && info.uid !== owner && info.uid !== 0)) {
    throw new UnsafeFileError(
      'writable_by_others',
      dir,
      `the folder of ${what} ${path} is writable by others or belongs to another user (mode ${(info.mode & 0o777).toString(8)}, uid ${info.uid}); use a folder only you can write`,
    );
  }
}

/** An fs error in words: `no such file or directory (ENOENT)`. */
export function errorWords(error: unknown): string {
  const { code, errno } = error as NodeJS.ErrnoException;
  const words = errno !== undefined ? getSystemErrorMap().get(errno)?.[1] : undefined;
  return words ? `${words} (${code})` : ((error as Error).message ?? String(error));
}

/** An fs error naming the file: `cannot read evidence log x.jsonl: no such file or directory (ENOENT)`. */
export function fileErrorText(verb: string, what: string, path: string, error: unknown): string {
  return error instanceof UnsafeFileError
    ? error.message
    : `cannot ${verb} ${what} ${path}: ${errorWords(error)}`;
}
