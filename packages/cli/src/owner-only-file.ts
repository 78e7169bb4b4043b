import { open } from 'node:fs/promises';
import { CliError, EXIT } from './cli-error.js';

/** Larger than any PEM key or ID token: a file this big is not one. */
const MAX_SECRET_FILE_BYTES = 64 * 1024;

/**
 * Reads a file that holds a secret (an approver's private key, an ID token), refusing one that group or others may
 * read, as ssh does a private key: a key others can read is a key others may have, and a review signed with it proves
 * nothing. The mode is read from the open file, so the file checked is the file read. Permission bits mean nothing
 * on Windows: the check is POSIX only. Failures are CliError (invalid input) naming the file.
 */
export async function readOwnerOnlyFile(path: string, what: string): Promise<string> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(path, 'r');
    const info = await handle.stat();
    if (!info.isFile()) throw new CliError(EXIT.invalidInput, `${path}: ${what} is not a regular file`);
    if (process.platform !== 'win32' && (info.mode & 0o077) !== 0) {
      throw new CliError(
        EXIT.invalidInput,
        `${path}: ${what} is open to group or others (mode ${(info.mode & 0o777).toString(8)}); chmod 600 it`,
      );
    }
    if (info.size > MAX_SECRET_FILE_BYTES)
      throw new CliError(EXIT.invalidInput, `${path}: ${what} is larger than ${MAX_SECRET_FILE_BYTES} bytes`);
    return await handle.readFile('utf8');
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(
      EXIT.invalidInput,
      `${path}: cannot read ${what} (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  } finally {
    await handle?.close();
  }
}
