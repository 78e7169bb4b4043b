import { createHash } from 'node:crypto';
import type { ResolvedPolicyPack } from './policy-pack-document.js';

/**
 * The canonical form of a resolved pack: JSON with object keys sorted, no insignificant whitespace, list
 * order kept (order is meaning: the first matching pattern names the rule). Its SHA-256 is the pack digest.
 */
export function canonicalPolicyPackJson(pack: ResolvedPolicyPack): string {
  return JSON.stringify(sortKeys(pack));
}

/** `sha256:<64 lowercase hex>` of the canonical form. */
export function policyPackDigest(canonicalJson: string): string {
  return `sha256:${createHash('sha256').update(canonicalJson, 'utf8').digest('hex')}`;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}
