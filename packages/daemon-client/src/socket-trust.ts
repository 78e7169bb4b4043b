import { lstatSync, type Stats, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { DaemonClientError } from './daemon-client-error.js';

/**
 * Refuses a daemon the client cannot trust, before connecting, as the daemon refuses such a socket folder itself:
 * the socket and its folder must be owned by `expectedUid` and writable by nobody else, and the path must be a
 * socket. Whoever can write the folder can put their own socket there and answer `allow`. A missing socket is
 * `daemon_unavailable`; every other failure is `untrusted_daemon`. (Windows has no owner or mode bits to check.)
 *
 * The two stats are synchronous: they take microseconds, while the first asynchronous file operation of a process
 * starts libuv's thread pool, which cost `cavra-hook` (started once per tool call) about 1 ms of every start on an
 * idle machine and up to 15 ms on a loaded one.
 */
export async function checkSocketTrust(socketPath: string, expectedUid: number | undefined): Promise<void> {
  if (expectedUid === undefined) return;
  let socket: Stats;
  try {
    socket = lstatSync(socketPath);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new DaemonClientError(
      'daemon_unavailable',
      `cannot reach the CAVRA daemon at ${socketPath} (${code})`,
    );
  }
  if (!socket.isSocket()) throw untrusted(`${socketPath} is not a socket`);
  checkOwner('socket', socketPath, socket, expectedUid);
  const folder = dirname(socketPath);
  let info: Stats;
  try {
    info = statSync(folder);
  } catch (error) {
    throw untrusted(
      `cannot read the socket folder ${folder} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
  checkOwner('socket folder', folder, info, expectedUid);
}

function checkOwner(
  what: string,
  path: string,
  info: { readonly uid: number; readonly mode: number },
  expectedUid: number,
): void {
  if (info.uid !== expectedUid) {
    throw untrusted(`${what} ${path} is owned by uid ${info.uid}, not by the expected uid ${expectedUid}`);
  }
  if ((info.mode & 0o022) !== 0) {
    throw untrusted(
      `${what} ${path} is writable by group or others (mode ${(info.mode & 0o777).toString(8).padStart(3, '0')})`,
    );
  }
}

function untrusted(problem: string): DaemonClientError {
  return new DaemonClientError('untrusted_daemon', `refusing to ask this daemon: ${problem}`);
}
