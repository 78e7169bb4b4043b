import { chmod, lstat, mkdir, stat, unlink } from 'node:fs/promises';
import { connect } from 'node:net';
import { dirname } from 'node:path';
import { shareInstanceof } from '@cavra/contracts';

/** Longest socket path accepted: the OS limit (sun_path) is 104-108 bytes depending on the platform. */
export const MAX_SOCKET_PATH_BYTES = 100;

export class SocketPathError extends Error {
  readonly code: 'path_too_long' | 'in_use' | 'not_a_socket' | 'unsafe_directory';

  constructor(code: SocketPathError['code'], message: string) {
    super(message);
    this.name = 'SocketPathError';
    this.code = code;
  }
}
shareInstanceof(SocketPathError, '@cavra/daemon.SocketPathError');

/**
 * Makes `path` ready to listen on: the parent directory exists (created with mode 0700 if missing, refused if others
 * can write to it), and a leftover socket from a dead daemon is removed. A live daemon's socket is never
 * taken over: `in_use`. A path that is not a socket is never deleted: `not_a_socket`.
 */
export async function prepareSocketPath(path: string): Promise<void> {
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH_BYTES) {
    throw new SocketPathError(
      'path_too_long',
      `socket path is longer than ${MAX_SOCKET_PATH_BYTES} bytes: ${path}`,
    );
  }
  const dir = dirname(path);
  const created = await mkdir(dir, { recursive: true, mode: 0o700 });
  // Only a directory made here is set to 0700 (whatever the umask): an existing one, say a home directory, is the
  // user's to choose, and the socket itself is 0600.
  if (created !== undefined) await chmod(dir, 0o700);
  const info = await stat(dir);
  if ((info.mode & 0o022) !== 0 || (process.getuid && info.uid !== process.getuid())) {
    throw new SocketPathError(
      'unsafe_directory',
      `socket directory ${dir} must be owned by this user and not writable by others`,
    );
  }
  let existing: Awaited<ReturnType<typeof lstat>> | undefined;
  try {
    existing = await lstat(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  if (!existing.isSocket()) throw new SocketPathError('not_a_socket', `${path} exists and is not a socket`);
  if (await answers(path)) throw new SocketPathError('in_use', `a daemon is already listening on ${path}`);
  await unlink(path);
}

function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = connect(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
}
