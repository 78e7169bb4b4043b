import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { syncDirectory } from './durable-write.js';
import { checkPrivateDirectory, openOwnFile } from './own-file.js';

/**
 * A daemon's fleet identity: 128 random bits, lowercase hex. Random rather than derived (the evidence log id is a
 * hash of the log's path, the same on identical CI runners), so two machines never share one.
 */
export const DAEMON_ID_PATTERN = /^[0-9a-f]{32}$/;

/** The owner-only file that keeps the daemon id, beside the evidence log as the daemon's other state files are. */
export function daemonIdPath(evidenceLog: string): string {
  return `${evidenceLog}.daemon-id`;
}

const WHAT = 'daemon id file';

/**
 * Gives the daemon an id once (`cavra-daemon enroll`): an existing id is kept and returned (`created: false`), so
 * enrolling again is harmless; a new one is written (mode 0600, synced with its folder) before it is returned.
 */
export async function enrollDaemon(evidenceLog: string): Promise<{ daemonId: string; created: boolean }> {
  const path = daemonIdPath(evidenceLog);
  const existing = await readDaemonId(evidenceLog);
  if (existing) return { daemonId: existing, created: false };
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await checkPrivateDirectory(path, WHAT);
  const daemonId = randomBytes(16).toString('hex');
  const file = await openOwnFile(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, WHAT, {
    private: true,
  });
  try {
    await file.writeFile(`${daemonId}\n`);
    await file.datasync();
  } finally {
    await file.close();
  }
  await syncDirectory(dirname(path));
  return { daemonId, created: true };
}

/** The daemon's id, or undefined when it was never enrolled. A file that is not exactly an id is an error. */
export async function readDaemonId(evidenceLog: string): Promise<string | undefined> {
  const path = daemonIdPath(evidenceLog);
  let text: string;
  try {
    const file = await openOwnFile(path, constants.O_RDONLY, WHAT, { private: true });
    try {
      text = await file.readFile('utf8');
    } finally {
      await file.close();
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const id = text.endsWith('\n') ? text.slice(0, -1) : text;
  if (!DAEMON_ID_PATTERN.test(id))
    throw new Error(
      `${WHAT} ${path} does not hold a daemon id (32 lowercase hex digits); remove it and run cavra-daemon enroll`,
    );
  return id;
}
