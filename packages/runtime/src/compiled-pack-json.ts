import { type CompiledPolicyPack, compileResolved } from './compile-policy-pack.js';
import { parsePolicyPack } from './parse-policy-pack.js';
import type { ResolvedPolicyPack } from './policy-pack-document.js';
import { PolicyPackError } from './policy-pack-error.js';

/** Marks the compiled JSON form and its version. */
export const COMPILED_PACK_FORMAT = 'cavra-compiled-policy-pack/v1';

/**
 * The compiled JSON form: `{"format", "digest", "pack"}` where `pack` is the resolved pack (parents applied).
 * It loads without its parents, and the digest is checked on load, so an edited file is refused.
 */
export function toCompiledPackJson(pack: CompiledPolicyPack): string {
  return `${JSON.stringify({ format: COMPILED_PACK_FORMAT, digest: pack.digest, pack: pack.resolved }, null, 2)}\n`;
}

export function isCompiledPackJson(value: unknown): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { format?: unknown }).format === COMPILED_PACK_FORMAT
  );
}

/** Reads the compiled JSON form back; throws PolicyPackError `invalid_pack` for a malformed or edited document. */
export function parseCompiledPackJson(text: string, source = '<inline>'): CompiledPolicyPack {
  let envelope: { format?: unknown; digest?: unknown; pack?: ResolvedPolicyPack };
  try {
    envelope = JSON.parse(text);
  } catch (error) {
    throw new PolicyPackError('invalid_pack', source, [{ path: '', message: (error as Error).message }]);
  }
  if (!isCompiledPackJson(envelope) || typeof envelope.digest !== 'string' || !envelope.pack) {
    throw new PolicyPackError('invalid_pack', source, [
      { path: '', message: `not a ${COMPILED_PACK_FORMAT} document (needs format, digest and pack)` },
    ]);
  }
  const { inherits, ...metadata } = envelope.pack.metadata ?? {};
  // The resolved form is a complete pack document plus its inheritance chain: check both.
  parsePolicyPack(JSON.stringify({ ...envelope.pack, metadata }), { format: 'json', source });
  if (!Array.isArray(inherits) || !inherits.every((id) => typeof id === 'string')) {
    throw new PolicyPackError('invalid_pack', source, [
      { path: '/pack/metadata/inherits', message: 'must be a list of pack ids' },
    ]);
  }
  const pack = compileResolved(envelope.pack);
  if (pack.digest !== envelope.digest) {
    throw new PolicyPackError('invalid_pack', source, [
      { path: '/digest', message: `does not match the pack (computed ${pack.digest})` },
    ]);
  }
  return pack;
}
