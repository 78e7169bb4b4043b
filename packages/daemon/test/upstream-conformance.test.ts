/**
 * The runtime's upstream conformance cases (one per row of upstream CAVRA's decision table and per MCP registry
 * branch, `@cavra/runtime` test support) decided through the daemon, as an upstream client asks it: one bare JSON
 * request per connection. The daemon must answer exactly what the engine answers in-process.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CONFORMANCE_CASES,
  DIFFERENCE_CASES,
  UPSTREAM_FORMAT_PACKS,
  UPSTREAM_FORMAT_REGISTRY,
} from '../../runtime/test/support/upstream-conformance-cases.js';
import { resolveDaemonConfig, startDaemon } from '../src/index.js';
import { removeTempDirs, type Started, startTestDaemon, tempDir } from './support/daemon-fixture.js';
import { upstreamStyleClient } from './support/upstream-style-client.js';

const PACKS = [
  fileURLToPath(new URL('../../runtime/policies/cavra-ai-agent-baseline.yaml', import.meta.url)),
  ...UPSTREAM_FORMAT_PACKS,
];
/** Upstream pack keys our fixtures carry that load but decide nothing here (the shipped baseline has none). */
const EXPECTED_NOTICES = [
  [
    'acme-delivery',
    [
      '/metadata/title',
      '/metadata/mode',
      '/git/block_direct_push_to_protected_branch',
      '/git/require_human_reviewer',
      '/git/require_pr_attestation',
      '/mcp/risk_scoring',
      '/approvals',
      '/evidence',
      '/compliance',
    ],
  ],
  ['acme-platform', ['/metadata/title', '/compliance']],
  ['acme-mcp-open', ['/metadata/title']],
  ['acme-attested', ['/metadata/title']],
  ['acme-compiled', ['/metadata/title']],
];
let plain: Started;
let withRegistry: Started;
beforeAll(async () => {
  plain = await startTestDaemon({
    policy_packs: PACKS,
    default_pack: 'cavra-ai-agent-baseline',
  });
  withRegistry = await startTestDaemon({
    policy_packs: PACKS,
    default_pack: 'cavra-ai-agent-baseline',
    mcp_registry: UPSTREAM_FORMAT_REGISTRY,
  });
});
afterAll(async () => {
  await plain.daemon.close();
  await withRegistry.daemon.close();
  await removeTempDirs();
});

async function ask(request: Readonly<Record<string, string>>, registry = false) {
  const answer = await upstreamStyleClient(
    (registry ? withRegistry : plain).daemon.socketPath,
    request,
    'newline',
  );
  return {
    decision: answer.decision,
    rule_id: answer.rule_id,
    severity: answer.severity,
    approver_group: answer.approver_group,
  };
}

describe('upstream conformance through the daemon (bare form)', () => {
  it('says which upstream pack keys it accepted without enforcing them, at start', async () => {
    type Notices = { pack: string; notices: { path: string }[] };
    const notices: [string, string[]][] = [];
    const logger = {
      info() {},
      error() {},
      warn(msg: string, fields?: Record<string, unknown>) {
        if (msg !== 'policy pack keys accepted but not enforced') return;
        const { pack, notices: keys } = fields as Notices;
        notices.push([pack, keys.map((notice) => notice.path)]);
      },
    };
    const config = resolveDaemonConfig(
      { evidence_log: 'evidence.jsonl', socket_path: 'run/d.sock', policy_packs: PACKS },
      { baseDir: tempDir() },
    );
    const daemon = await startDaemon(config, { logger });
    await daemon.close();
    expect(notices).toEqual(EXPECTED_NOTICES);
  });

  it.each(CONFORMANCE_CASES.map((c) => [`${c.row}: ${c.name}`, c] as const))('%s', async (_, c) => {
    expect(await ask(c.request, c.registry)).toEqual(c.expected);
  });

  it.each(DIFFERENCE_CASES.map((c) => [c.name, c] as const))('deliberately stricter: %s', async (_, c) => {
    expect(await ask(c.request, c.registry)).toEqual(c.ours);
  });
});
