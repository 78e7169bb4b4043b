import { readFile } from 'node:fs/promises';
import { getSystemErrorMap } from 'node:util';
import { MAX_POLICY_PACK_BYTES } from './parse-policy-pack.js';
import { PolicyPackError } from './policy-pack-error.js';

/** Reads a pack file's bytes, at most MAX_POLICY_PACK_BYTES. Throws PolicyPackError `io` or `invalid_pack`. */
export async function readPackFile(path: string): Promise<Buffer> {
  let buffer: Buffer;
  try {
    buffer = await readFile(path);
  } catch (error) {
    const { code, errno } = error as NodeJS.ErrnoException;
    const words = errno !== undefined ? getSystemErrorMap().get(errno)?.[1] : undefined;
    throw new PolicyPackError('io', path, [
      { path: '', message: `cannot read: ${words ? `${words} (${code})` : (code ?? 'unreadable')}` },
    ]);
  }
  if (buffer.length > MAX_POLICY_PACK_BYTES) {
    throw new PolicyPackError('invalid_pack', path, [
      { path: '', message: `larger than ${MAX_POLICY_PACK_BYTES} bytes` },
    ]);
  }
  return buffer;
}
