import { parseDocument } from 'yaml';
import schema from '../schema/policy-pack.schema.json' with { type: 'json' };
import { policyPack as validate } from './generated/schema-validators.js';
import { issuePositions } from './issue-positions.js';
import type { PolicyPackDocument } from './policy-pack-document.js';
import { PolicyPackError } from './policy-pack-error.js';
import { schemaIssues } from './schema-issues.js';

/** Largest pack text accepted: packs are configuration, not data. */
export const MAX_POLICY_PACK_BYTES = 1024 * 1024;

/** Options of parsePolicyPack. */
export interface ParsePolicyPackOptions {
  /** `yaml` (default) also reads JSON, which is a subset; `json` insists on strict JSON. */
  readonly format?: 'yaml' | 'json';
  /** Names the pack in errors, e.g. its file path. */
  readonly source?: string;
}

/**
 * Parses and schema-validates a pack. Throws PolicyPackError `invalid_pack` listing every error with its path, its
 * line and column in the text, and for an unknown key or a value not in a list, what is allowed there.
 */
export function parsePolicyPack(text: string, options: ParsePolicyPackOptions = {}): PolicyPackDocument {
  const source = options.source ?? '<inline>';
  if (Buffer.byteLength(text, 'utf8') > MAX_POLICY_PACK_BYTES) {
    throw new PolicyPackError('invalid_pack', source, [
      { path: '', message: `larger than ${MAX_POLICY_PACK_BYTES} bytes` },
    ]);
  }
  const value = options.format === 'json' ? parseJson(text, source) : parseYaml(text, source);
  if (!validate(value)) {
    throw new PolicyPackError(
      'invalid_pack',
      source,
      issuePositions(text, schemaIssues(validate.errors, schema)),
    );
  }
  return value as unknown as PolicyPackDocument;
}

function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new PolicyPackError('invalid_pack', source, [{ path: '', message: (error as Error).message }]);
  }
}

function parseYaml(text: string, source: string): unknown {
  // uniqueKeys and strict errors: a duplicated key in a security policy is a mistake, never a silent override.
  const document = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  if (document.errors.length > 0) {
    throw new PolicyPackError(
      'invalid_pack',
      source,
      document.errors.map((error) => ({
        path: '',
        message: `YAML ${error.code}: ${(error.message.split('\n')[0] ?? '').replace(/:$/, '')}`,
      })),
    );
  }
  return document.toJS({ maxAliasCount: 100 });
}
