import { getSystemErrorMap } from 'node:util';

/** Why a file could not be read, in words and with its code: `cannot read: no such file or directory (ENOENT)`. */
export function cannotReadMessage(error: unknown): string {
  const { code, errno } = error as NodeJS.ErrnoException;
  const words = errno !== undefined ? getSystemErrorMap().get(errno)?.[1] : undefined;
  return `cannot read: ${words ? `${words} (${code})` : (code ?? 'unreadable')}`;
}
