import { describe, expect, it } from 'vitest';
import { compilePolicyPack, loadBaselinePack, PolicyPackError, parsePolicyPack } from '../src/index.js';
import { exactEngine, request } from './support/engine.js';

const NETWORK_PACK = `
metadata: {id: net, version: "1"}
network:
  block_domains: ["*.evil.example", pastebin.com]
  require_approval_domains: [upload.docs.example]
  allow_domains: [docs.example, "*.docs.example", registry.npmjs.org]
`;

const pack = compilePolicyPack(parsePolicyPack(NETWORK_PACK));

function decide(target: string, packs = [pack], packId = 'net') {
  const decision = exactEngine(packs).evaluate(request('network_request', target, { policy_pack: packId }));
  return [decision.decision, decision.ruleId, decision.reason];
}

describe('network_request', () => {
  it.each([
    [
      'https://docs.example/guide?x=1',
      'allow',
      'network.domain.allow',
      "host 'docs.example' is allowed by pattern 'docs.example' (network.allow_domains[0])",
    ],
    [
      'https://api.docs.example/',
      'allow',
      'network.domain.allow',
      "host 'api.docs.example' is allowed by pattern '*.docs.example' (network.allow_domains[1])",
    ],
    [
      'HTTPS://Registry.NPMJS.org./x',
      'allow',
      'network.domain.allow',
      "host 'registry.npmjs.org' is allowed by pattern 'registry.npmjs.org' (network.allow_domains[2])",
    ],
    [
      'registry.npmjs.org',
      'allow',
      'network.domain.allow',
      "host 'registry.npmjs.org' is allowed by pattern 'registry.npmjs.org' (network.allow_domains[2])",
    ],
    [
      'https://upload.docs.example/',
      'require_approval',
      'network.domain.require_approval',
      "host 'upload.docs.example' requires approval by pattern 'upload.docs.example' (network.require_approval_domains[0])",
    ],
    [
      'https://a.b.evil.example/x',
      'block',
      'network.domain.block',
      "host 'a.b.evil.example' is blocked by pattern '*.evil.example' (network.block_domains[0])",
    ],
    [
      'https://docs.example@pastebin.com/raw',
      'block',
      'network.domain.block',
      "host 'pastebin.com' is blocked by pattern 'pastebin.com' (network.block_domains[1])",
    ],
    [
      'https://notdocs.example/',
      'require_approval',
      'network.default.require_approval',
      "host 'notdocs.example' is on no network list: review required",
    ],
    [
      '*',
      'require_approval',
      'network.default.require_approval',
      "host '*' is on no network list: review required",
    ],
    [
      'file:///etc/passwd',
      'block',
      'request.invalid_target',
      "network_request target 'file:///etc/passwd' is not an http(s) URL or a host name",
    ],
    ['', 'block', 'request.missing_target', 'network_request request names no target'],
  ])('%s → %s (%s)', (target, decision, ruleId, reason) => {
    const [got, gotRule, gotReason] = decide(target);
    expect([got, gotRule]).toEqual([decision, ruleId]);
    if (ruleId !== 'request.missing_target') expect(gotReason).toBe(reason);
  });

  it('a pack without a network section asks for approval of every host, and its digest has no network key', async () => {
    const baseline = await loadBaselinePack();
    expect(baseline.resolved.network).toBeUndefined();
    expect(baseline.canonicalJson).not.toContain('network');
    expect(decide('https://docs.example/', [baseline], 'cavra-ai-agent-baseline')).toEqual([
      'require_approval',
      'network.default.require_approval',
      "host 'docs.example' is on no network list: review required",
    ]);
  });

  it('an overlay adds blocks and approvals but may not allow a host its parent does not', async () => {
    const parents = new Map([['net', pack]]);
    const overlay = compilePolicyPack(
      parsePolicyPack(`
metadata: {id: team, version: "1", inherits: net}
network: {block_domains: [gist.github.com], allow_domains: [docs.example]}
`),
      { parents },
    );
    expect(overlay.resolved.network).toEqual({
      allow_domains: ['docs.example'],
      block_domains: ['*.evil.example', 'pastebin.com', 'gist.github.com'],
      require_approval_domains: ['upload.docs.example'],
    });
    const loosening = () =>
      compilePolicyPack(
        parsePolicyPack(`
metadata: {id: team, version: "1", inherits: net}
network: {allow_domains: [anything.example]}
`),
        { parents },
      );
    expect(loosening).toThrow(PolicyPackError);
    expect(() => loosening()).toThrow(
      /\/network\/allow_domains\/0: 'anything.example' is not allowed by parent net/,
    );
  });

  it('refuses domain patterns that are not hosts', () => {
    expect(() =>
      parsePolicyPack('metadata: {id: x, version: "1"}\nnetwork: {allow_domains: ["https://x.example/"]}\n'),
    ).toThrow(/\/network\/allow_domains\/0/);
  });
});
