import type { Decision, RuntimeDecision, RuntimeRequest } from '@cavra/contracts';
import { type CompiledPolicyPack, compileResolved } from './compile-policy-pack.js';
import { createEngine, type Engine } from './engine.js';
import type { ResolvedPolicyPack } from './policy-pack-document.js';
import type { ModeSettings } from './runtime-mode.js';

/** One pattern of the pack, tried on its own against the request. */
export interface RuleTrial {
  /** The pack list holding the pattern, e.g. `commands.block`. */
  readonly list: string;
  /** The pattern's position in that list (file order, parents first). */
  readonly index: number;
  readonly pattern: string;
  /** Whether the pattern applies to the request: on its own it decides differently from a pack without patterns. */
  readonly matched: boolean;
  /** What the pattern decides on its own when it applies (in `enforce` mode). */
  readonly outcome?: { readonly decision: Decision; readonly ruleId: string; readonly reason: string };
  /** Whether this is the pattern that decided the request (the first in file order whose outcome is the decision). */
  readonly decisive: boolean;
}

/** A decision with the reasons behind it. */
export interface DecisionExplanation {
  /** The decision, exactly as the engine takes it (in the explainer's mode). */
  readonly decision: RuntimeDecision;
  /** The decision before the runtime mode was applied. */
  readonly enforced: RuntimeDecision;
  /** What the pack decides when none of its patterns applies (its defaults and switches alone). */
  readonly fallback: { readonly decision: Decision; readonly ruleId: string; readonly reason: string };
  /** Every pattern of every list of the pack, in pack order. */
  readonly tried: readonly RuleTrial[];
}

/** Explains decisions of one pack. */
export interface DecisionExplainer {
  readonly pack: CompiledPolicyPack;
  /** Decides the request (its `policy_pack` is ignored: this pack decides) and tells which patterns applied and why. */
  explain(request: RuntimeRequest): DecisionExplanation;
}

interface ListRule {
  readonly list: string;
  readonly index: number;
  readonly pattern: string;
  readonly engine: Engine;
}

/**
 * Builds an explainer for a pack. A pattern is tried by deciding the request with a copy of the pack that holds
 * only that pattern (every other list emptied, switches such as `require_pull_request` kept): the engine's own
 * reading of the request (compound commands, wrappers, paths named by arguments) decides whether it applies, so the
 * explanation cannot drift from the engine. Every list of string patterns in the resolved pack is tried.
 */
export function createDecisionExplainer(
  pack: CompiledPolicyPack,
  options: { readonly mode?: ModeSettings } = {},
): DecisionExplainer {
  const fixed = { clock: () => new Date(0), ids: () => 'explain' };
  const full = createEngine({ packs: [pack], ...(options.mode ? { mode: options.mode } : {}) });
  const enforcing = createEngine({ packs: [pack], ...fixed });
  const lists = patternLists(pack.resolved);
  const emptied = withLists(pack.resolved, Object.fromEntries(lists.map(([name]) => [name, []])));
  const fallback = createEngine({ packs: [compileResolved(emptied)], ...fixed });
  const rules: ListRule[] = lists.flatMap(([list, patterns]) =>
    patterns.map((pattern, index) => ({
      list,
      index,
      pattern,
      engine: createEngine({
        packs: [compileResolved(withLists(emptied, { [list]: [pattern] }))],
        ...fixed,
      }),
    })),
  );

  return {
    pack,
    explain(request) {
      const own = { ...request, policyPack: pack.id };
      const decision = full.evaluate(own);
      const enforced = enforcing.evaluate(own);
      const none = fallback.evaluate({ ...own, policyPack: emptied.metadata.id });
      let decided = false;
      const tried = rules.map((rule): RuleTrial => {
        const alone = rule.engine.evaluate({ ...own, policyPack: emptied.metadata.id });
        // The reason too: a rule id names a kind of rule, so a pattern can apply and keep the fallback's id (a blocked
        // MCP server where unknown servers are blocked too).
        const matched =
          alone.decision !== none.decision || alone.ruleId !== none.ruleId || alone.reason !== none.reason;
        // Alone, the pattern is first in its list: where the rule id or reason names its position, put its own.
        const atIndex = (text: string) => text.replaceAll(`${rule.list}[0]`, `${rule.list}[${rule.index}]`);
        const ruleId = atIndex(alone.ruleId);
        const reason = atIndex(alone.reason);
        // Rule ids name the kind of rule (upstream's), so the reason, which names the list entry, tells which decided.
        const decisive =
          matched &&
          !decided &&
          alone.decision === enforced.decision &&
          ruleId === enforced.ruleId &&
          reason === enforced.reason;
        if (decisive) decided = true;
        return {
          list: rule.list,
          index: rule.index,
          pattern: rule.pattern,
          matched,
          ...(matched ? { outcome: { decision: alone.decision, ruleId, reason } } : {}),
          decisive,
        };
      });
      return {
        decision,
        enforced,
        fallback: { decision: none.decision, ruleId: none.ruleId, reason: none.reason },
        tried,
      };
    },
  };
}

/** `[section.key, patterns]` for every list of strings in the resolved pack, metadata aside, in pack order. */
export function patternLists(resolved: ResolvedPolicyPack): [string, readonly string[]][] {
  return Object.entries(resolved)
    .filter(([section]) => section !== 'metadata')
    .flatMap(([section, fields]) =>
      Object.entries(fields as Record<string, unknown>)
        .filter(
          (entry): entry is [string, string[]] =>
            Array.isArray(entry[1]) && entry[1].every((item) => typeof item === 'string'),
        )
        .map(([key, patterns]): [string, readonly string[]] => [`${section}.${key}`, patterns]),
    );
}

function withLists(
  resolved: ResolvedPolicyPack,
  lists: Readonly<Record<string, readonly string[]>>,
): ResolvedPolicyPack {
  const copy = structuredClone(resolved) as unknown as Record<string, Record<string, unknown>>;
  for (const [name, patterns] of Object.entries(lists)) {
    const [section, key] = name.split('.') as [string, string];
    (copy[section] as Record<string, unknown>)[key] = [...patterns];
  }
  return copy as unknown as ResolvedPolicyPack;
}
