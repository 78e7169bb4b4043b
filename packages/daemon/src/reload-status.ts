import { constants } from 'node:fs';
import { openOwnFile } from './own-file.js';
import { replaceFile } from './pid-file.js';

/**
 * The verdict of a daemon's latest reload, which `cavra-daemon reload` waits for: SIGHUP itself carries no answer.
 * Kept in `<pid_file>.reload.json` by the foreground daemon, replaced whole at each reload.
 */
export interface ReloadStatus {
  /** The daemon that reloaded. */
  readonly pid: number;
  /** Reloads of this daemon so far, 1, 2, 3, ...: a larger number is a later verdict. */
  readonly seq: number;
  readonly applied: boolean;
  /** Why the reload was rejected (the old policy and keys stay in force). */
  readonly error?: string;
  readonly policyDigests?: Readonly<Record<string, string>>;
}

export function reloadStatusPath(pidFile: string): string {
  return `${pidFile}.reload.json`;
}

export async function writeReloadStatus(pidFile: string, status: ReloadStatus): Promise<void> {
  await replaceFile(reloadStatusPath(pidFile), `${JSON.stringify(status)}\n`, 'reload status file');
}

/** The latest verdict, or undefined when there is none (or it cannot be read as one). */
export async function readReloadStatus(pidFile: string): Promise<ReloadStatus | undefined> {
  try {
    const handle = await openOwnFile(reloadStatusPath(pidFile), constants.O_RDONLY, 'reload status file');
    try {
      const buffer = Buffer.alloc(64 * 1024);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
      const status = JSON.parse(buffer.subarray(0, bytesRead).toString('utf8')) as ReloadStatus;
      return Number.isInteger(status.pid) && Number.isInteger(status.seq) ? status : undefined;
    } finally {
      await handle.close();
    }
  } catch {
    return undefined;
  }
}
