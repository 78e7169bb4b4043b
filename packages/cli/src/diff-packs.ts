import type { RuntimeDecision, RuntimeRequest } from '@cavra/contracts';
import { type CompiledPolicyPack, createEngine } from '@cavra/runtime';
import { deciding } from './deciding.js';
import { listEntry } from './list-entry.js';

/** How one setting of the resolved packs differs, e.g. `commands.allow` or `git.require_pull_request`. */
export interface RuleChange {
  readonly path: string;
  /** Patterns only in the second pack (lists). */
  readonly added?: readonly string[];
  /** Patterns only in the first pack (lists). */
  readonly removed?: readonly string[];
  /** The same patterns in another order: rule ids that count positions change (lists). */
  readonly reordered?: boolean;
  /** Old and new value (settings that are not lists). */
  readonly from?: unknown;
  readonly to?: unknown;
}

/** A request whose decision or rule differs between the packs. */
export interface DecisionChange {
  readonly request: RuntimeRequest;
  readonly from: RuntimeDecision;
  readonly to: RuntimeDecision;
}

/** What differs between two resolved packs (parents applied), setting by setting; metadata included. */
export function diffPolicyPacks(from: CompiledPolicyPack, to: CompiledPolicyPack): RuleChange[] {
  const before = flatten(from.resolved);
  const after = flatten(to.resolved);
  const changes: RuleChange[] = [];
  for (const path of [...new Set([...before.keys(), ...after.keys()])].sort()) {
    const a = before.get(path);
    const b = after.get(path);
    if (Array.isArray(a) && Array.isArray(b)) {
      const added = b.filter((item) => !a.includes(item));
      const removed = a.filter((item) => !b.includes(item));
      const reordered = added.length === 0 && removed.length === 0 && JSON.stringify(a) !== JSON.stringify(b);
      if (added.length > 0 || removed.length > 0 || reordered) {
        changes.push({
          path,
          ...(added.length > 0 ? { added } : {}),
          ...(removed.length > 0 ? { removed } : {}),
          ...(reordered ? { reordered } : {}),
        });
      }
    } else if (JSON.stringify(a) !== JSON.stringify(b)) {
      changes.push({ path, from: a, to: b });
    }
  }
  return changes;
}

/** Decides every request with both packs (same mode) and returns those whose decision, rule id or list entry differ. */
export function decisionChanges(
  from: CompiledPolicyPack,
  to: CompiledPolicyPack,
  requests: readonly RuntimeRequest[],
): DecisionChange[] {
  const first = createEngine({ packs: [from] });
  const second = createEngine({ packs: [to] });
  return requests.flatMap((request, index) => {
    const where = `request ${index + 1} (${request.actionType})`;
    const a = deciding(where, () => first.evaluate({ ...request, policyPack: from.id }));
    const b = deciding(where, () => second.evaluate({ ...request, policyPack: to.id }));
    // The list entry that decided is in the reason (rule ids name the kind of rule): a reorder shows there.
    return a.decision !== b.decision || a.ruleId !== b.ruleId || listEntry(a.reason) !== listEntry(b.reason)
      ? [{ request, from: a, to: b }]
      : [];
  });
}

function flatten(value: unknown, prefix = '', into = new Map<string, unknown>()): Map<string, unknown> {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    for (const [key, child] of Object.entries(value)) flatten(child, prefix ? `${prefix}.${key}` : key, into);
  } else {
    into.set(prefix, value);
  }
  return into;
}
