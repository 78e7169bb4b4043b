import { readFile } from 'node:fs/promises';
import { cannotReadMessage } from './io-message.js';
import { MAX_POLICY_PACK_BYTES } from './parse-policy-pack.js';
import { PolicyPackError } from './policy-pack-error.js';

/** Reads a pack file's bytes, at most MAX_POLICY_PACK_BYTES. Throws PolicyPackError `io` or `invalid_pack`. */
export async function readPackFile(path: string): Promise<Buffer> {
  let buffer: Buffer;
  try {
    buffer = await readFile(path);
  } catch (error) {
    throw new PolicyPackError('io', path, [{ path: '', message: cannotReadMessage(error) }]);
  }
  if (buffer.length > MAX_POLICY_PACK_BYTES) {
    throw new PolicyPackError('invalid_pack', path, [
      { path: '', message: `larger than ${MAX_POLICY_PACK_BYTES} bytes` },
    ]);
  }
  return buffer;
}
