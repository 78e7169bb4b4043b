import { writeFile } from 'node:fs/promises';
import { CliError, EXIT } from './cli-error.js';

/**
 * Writes a new file, born with `mode` (a private key: 600, readable by its owner only); keys are never overwritten
 * (`wx`): an existing file is CliError (invalid input).
 */
export async function writeNew(path: string, text: string, mode: number): Promise<void> {
  try {
    await writeFile(path, text, { flag: 'wx', mode });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CliError(
      EXIT.invalidInput,
      code === 'EEXIST'
        ? `${path}: already exists; keys are never overwritten`
        : `${path}: cannot write (${code})`,
    );
  }
}
