import { randomUUID } from 'node:crypto';
import { mkdir, open, rename } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/**
 * Writes `data` to `path` durably: a temporary file beside it, fsync'ed, renamed over `path`, then the folder
 * fsync'ed, so a crash leaves the old file or the new one, never a torn one. `flag: 'wx'` refuses an existing
 * `path` (the temporary file is then not made at all).
 */
export async function writeDurableFile(
  path: string,
  data: string | Uint8Array,
  options: { readonly mode?: number; readonly exclusive?: boolean } = {},
): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  if (options.exclusive) {
    const handle = await open(path, 'wx', options.mode ?? 0o644);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
  } else {
    const temporary = join(dirname(path), `.${randomUUID()}.tmp`);
    const handle = await open(temporary, 'w', options.mode ?? 0o644);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
  }
  await syncFolder(dirname(path));
}

/** fsyncs a folder, so the entries made or renamed in it survive a crash. */
export async function syncFolder(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
