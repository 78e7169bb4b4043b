import { type CompiledPolicyPack, compileResolved } from './compile-policy-pack.js';
import { issuePositions } from './issue-positions.js';
import { parsePolicyPack } from './parse-policy-pack.js';
import { PolicyPackError } from './policy-pack-error.js';
import { resolvePolicyPack } from './resolve-policy-pack.js';

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
  let envelope: { format?: unknown; digest?: unknown; pack?: unknown };
  try {
    envelope = JSON.parse(text);
  } catch (error) {
    throw new PolicyPackError('invalid_pack', source, [{ path: '', message: (error as Error).message }]);
  }
  if (!isCompiledPackJson(envelope) || typeof envelope.digest !== 'string' || !isObject(envelope.pack)) {
    throw new PolicyPackError('invalid_pack', source, [
      { path: '', message: `not a ${COMPILED_PACK_FORMAT} document (needs format, digest and pack)` },
    ]);
  }
  const { metadata, ...sections } = envelope.pack;
  const { inherits, loosens = [], approver_group, ...ownMetadata } = isObject(metadata) ? metadata : {};
  if (!isStringList(inherits)) {
    throw new PolicyPackError('invalid_pack', source, [
      { path: '/pack/metadata/inherits', message: 'must be a list of pack ids' },
    ]);
  }
  if (!isStringList(loosens)) {
    throw new PolicyPackError('invalid_pack', source, [
      { path: '/pack/metadata/loosens', message: 'must be a list of loosenings' },
    ]);
  }
  // The resolved form is a pack document plus its inheritance chain: validate it as one, then resolve it alone
  // (which fills any omitted field with its default) so the digest is computed over a complete pack.
  // An empty approver_group means "the rule table's groups", which a document says by leaving the key out.
  const groupMetadata = approver_group === '' ? {} : { approver_group };
  const document = withPathPrefix('/pack', text, () =>
    parsePolicyPack(JSON.stringify({ ...sections, metadata: { ...ownMetadata, ...groupMetadata } }), {
      format: 'json',
      source,
    }),
  );
  const resolved = resolvePolicyPack(document, [], source);
  // The chain and what it loosened are recorded, not recomputed: the parents are not loaded (the digest covers both).
  const pack = compileResolved({ ...resolved, metadata: { ...resolved.metadata, inherits, loosens } });
  if (pack.digest !== envelope.digest) {
    throw new PolicyPackError('invalid_pack', source, [
      { path: '/digest', message: `does not match the pack (computed ${pack.digest})` },
    ]);
  }
  return pack;
}

function isStringList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Issues of the pack inside the envelope, at their paths and positions in the envelope's text. */
function withPathPrefix<T>(prefix: string, text: string, run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (!(error instanceof PolicyPackError)) throw error;
    throw new PolicyPackError(
      error.code,
      error.source,
      issuePositions(
        text,
        error.issues.map((issue) => ({ path: `${prefix}${issue.path}`, message: issue.message })),
      ),
    );
  }
}
