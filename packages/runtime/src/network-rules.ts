import type { RuntimeRequest } from '@cavra/contracts';
import type { RuleOutcome } from './action-evaluator.js';
import type { CompiledPolicyPack } from './compile-policy-pack.js';
import { quoteTarget } from './quote-target.js';
import { ruleOutcome } from './rule-outcome.js';

/** The action type of a request to the network: the target is a URL (`https://host/path`) or a host. */
export const NETWORK_REQUEST_ACTION_TYPE = 'network_request';

/** Schemes an agent's fetch may use; a URL with any other scheme is refused as an invalid target. */
const WEB_SCHEMES = new Set(['http:', 'https:']);

/**
 * network_request, by the pack's `network` lists, in order: a host on `block_domains` blocks
 * (`network.domain.block`), on `require_approval_domains` needs approval (`network.domain.require_approval`), on
 * `allow_domains` is allowed (`network.domain.allow`); any other host, and every host when the pack has no
 * `network` section, needs approval (`network.default.require_approval`), as upstream decides an action it has no
 * rule for. A target that names no host (not a URL, another scheme) is `request.invalid_target`.
 * Patterns: `example.com` is that host, `*.example.com` any host below it, `*` any host (`*` as a target, a search
 * that may reach any host, meets only `*`).
 */
export function evaluateNetworkRequest(request: RuntimeRequest, pack: CompiledPolicyPack): RuleOutcome {
  const host = targetHost(request.target.trim());
  if (host === undefined) {
    return ruleOutcome(
      pack,
      'request.invalid_target',
      `network_request target ${quoteTarget(request.target)} is not an http(s) URL or a host name`,
    );
  }
  const network = pack.resolved.network;
  const lists = [
    ['block_domains', 'network.domain.block', 'is blocked'],
    ['require_approval_domains', 'network.domain.require_approval', 'requires approval'],
    ['allow_domains', 'network.domain.allow', 'is allowed'],
  ] as const;
  for (const [list, ruleId, verb] of lists) {
    const index = (network?.[list] ?? []).findIndex((pattern) => domainMatches(pattern, host));
    if (index >= 0) {
      return ruleOutcome(
        pack,
        ruleId,
        `host ${quoteTarget(host)} ${verb} by pattern '${network?.[list][index]}' (network.${list}[${index}])`,
      );
    }
  }
  return ruleOutcome(
    pack,
    'network.default.require_approval',
    `host ${quoteTarget(host)} is on no network list: review required`,
  );
}

/** The lowercase host of a URL or host target, without a trailing dot or port; undefined when there is none. */
function targetHost(target: string): string | undefined {
  if (target === '*') return target;
  const url = URL.canParse(target) && /^[a-z][a-z0-9+.-]*:\/\//i.test(target) ? new URL(target) : undefined;
  if (url && !WEB_SCHEMES.has(url.protocol)) return undefined;
  const host = (url ?? (URL.canParse(`https://${target}`) ? new URL(`https://${target}`) : undefined))
    ?.hostname;
  if (!host) return undefined;
  return host.toLowerCase().replace(/\.$/, '');
}

function domainMatches(pattern: string, host: string): boolean {
  if (pattern === '*') return true;
  if (pattern.startsWith('*.')) return host.endsWith(pattern.slice(1));
  return host === pattern;
}
