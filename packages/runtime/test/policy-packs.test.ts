import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import {
  type CompiledPolicyPack,
  compilePolicyPack,
  loadBaselinePack,
  loadPolicyPackFile,
  PolicyPackError,
  parseCompiledPackJson,
  parsePolicyPack,
  schemaIssues,
  toCompiledPackJson,
} from '../src/index.js';
import { exactEngine, request } from './support/engine.js';

let baseline: CompiledPolicyPack;
beforeAll(async () => {
  baseline = await loadBaselinePack();
});

function packError(run: () => unknown): PolicyPackError {
  try {
    run();
  } catch (error) {
    if (error instanceof PolicyPackError) return error;
    throw error;
  }
  throw new Error('expected a PolicyPackError');
}

describe('parsing policy packs', () => {
  it('reports every schema error with its path', () => {
    const error = packError(() =>
      parsePolicyPack(
        [
          'metadata: {id: Bad Id, version: "1"}',
          'filesystem: {block_read: "**/.env", block_exec: []}',
          'commands: {allow: [ls, ls]}',
          'git: {require_pull_request: "yes"}',
          'mcp: {allowed_servers: ["a b"]}',
        ].join('\n'),
        { source: 'bad.yaml' },
      ),
    );
    expect(error.code).toBe('invalid_pack');
    expect(error.issues).toEqual([
      {
        path: '/metadata/id',
        message: 'must match pattern "^[a-z0-9][a-z0-9._-]{0,127}$"',
        line: 1,
        column: 12,
      },
      {
        path: '/filesystem/block_exec',
        message: 'is not a known key (known: block_read, block_write, require_approval_write, unprotect)',
        line: 2,
        column: 37,
      },
      { path: '/filesystem/block_read', message: 'must be array', line: 2, column: 14 },
      {
        path: '/commands/allow',
        message: 'must NOT have duplicate items (items ## 1 and 0 are identical)',
        line: 3,
        column: 12,
      },
      { path: '/git/require_pull_request', message: 'must be boolean', line: 4, column: 7 },
      {
        path: '/mcp/allowed_servers/0',
        message: 'must match pattern "^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$"',
        line: 5,
        column: 25,
      },
    ]);
    expect(
      error.message.startsWith(
        'policy pack bad.yaml: invalid_pack: /metadata/id (line 1, column 12): must match pattern',
      ),
    ).toBe(true);
  });

  it('maps Ajv errors to issues, unknown keys at their own path', () => {
    const schema = {
      type: 'object',
      properties: { id: { type: 'integer' }, name: { type: 'string' } },
      required: ['id'],
      additionalProperties: false,
    };
    const validate = new Ajv({ allErrors: true }).compile(schema);
    expect(validate({ name: 7, extra: true })).toBe(false);
    expect(schemaIssues(validate.errors)).toEqual([
      { path: '', message: "must have required property 'id'" },
      { path: '/extra', message: 'is not a known key' },
      { path: '/name', message: 'must be string' },
    ]);
    const silent = new Ajv({ allErrors: true, messages: false }).compile(schema);
    expect(silent({ id: 1, name: 7 })).toBe(false);
    expect(schemaIssues(silent.errors)).toEqual([{ path: '/name', message: 'is invalid' }]);
    expect(schemaIssues(null)).toEqual([]);
    // Given the schema, an unknown key lists the keys allowed there; an enum error always lists its values.
    const closed = new Ajv({ allErrors: true }).compile({
      type: 'object',
      properties: { level: { enum: ['low', 'high'] } },
      additionalProperties: false,
    });
    expect(closed({ levle: 'low', level: 'mid' })).toBe(false);
    expect(schemaIssues(closed.errors, closed.schema as object)).toEqual([
      { path: '/levle', message: 'is not a known key (known: level)' },
      { path: '/level', message: 'must be one of: low, high' },
    ]);
  });

  it('refuses broken YAML, duplicate keys, strict-JSON errors, a missing metadata and oversize packs', () => {
    expect(packError(() => parsePolicyPack('metadata: [')).issues[0]?.message).toBe(
      'YAML BAD_INDENT: Flow sequence in block collection must be sufficiently indented and end with a ] at line 1, column 12',
    );
    expect(
      packError(() => parsePolicyPack('metadata: {id: a, version: "1"}\nmetadata: {id: b, version: "1"}'))
        .issues[0]?.message,
    ).toMatch(/^YAML DUPLICATE_KEY: Map keys must be unique at line 2/);
    expect(packError(() => parsePolicyPack('{"metadata":', { format: 'json' })).code).toBe('invalid_pack');
    expect(packError(() => parsePolicyPack('commands: {}')).issues).toEqual([
      { path: '', message: "must have required property 'metadata'", line: 1, column: 1 },
    ]);
    expect(packError(() => parsePolicyPack('x'.repeat(1024 * 1024 + 1))).issues).toEqual([
      { path: '', message: 'larger than 1048576 bytes' },
    ]);
  });
});

describe('overlays', () => {
  const parents = () => new Map([[baseline.id, baseline]]);
  const overlay = (yaml: string) =>
    compilePolicyPack(
      parsePolicyPack(`metadata: {id: team, version: "2", inherits: cavra-ai-agent-baseline}\n${yaml}`),
      {
        parents: parents(),
      },
    );

  it('adds to block lists and narrows allow lists', () => {
    const team = overlay('commands: {allow: ["npm test"], block: ["make deploy *"]}');
    const engine = exactEngine([team]);
    const evaluate = (actionType: string, target: string) => {
      const decision = engine.evaluate(request(actionType, target, { policy_pack: 'team' }));
      return [decision.decision, decision.ruleId, decision.reason];
    };
    expect(evaluate('execute_command', 'make deploy prod')).toEqual([
      'block',
      'commands.block',
      "command 'make deploy prod' is blocked by pattern 'make deploy *' (commands.block[26])",
    ]);
    expect(evaluate('execute_command', 'pytest')).toEqual([
      'require_approval',
      'commands.default.require_approval',
      "command 'pytest' is not on the allow list",
    ]);
    expect(evaluate('execute_command', 'npm test')).toEqual([
      'allow',
      'commands.allow',
      "command allowed by pattern 'npm test' (commands.allow[0])",
    ]);
    expect(evaluate('read_file', '.env')).toEqual([
      'block',
      'filesystem.read.block',
      "reading '.env' is blocked by pattern '.env' (filesystem.block_read[0])",
    ]);
    expect(evaluate('mcp_tool_call', 'docs/search')).toEqual([
      'block',
      'mcp.server.trust.block_unknown',
      "MCP server 'docs' is not on the allow list and unknown servers are blocked",
    ]);
    expect(team.resolved.metadata.inherits).toEqual(['cavra-ai-agent-baseline']);
    expect(team.digest).not.toBe(baseline.digest);
  });

  it('refuses an overlay that loosens its parent, naming every path', () => {
    const error = packError(() =>
      overlay(
        'commands: {allow: ["npm test", "bash *"]}\ngit: {require_pull_request: false}\nmcp: {allowlist_enabled: false, block_unknown_servers: false, allowed_servers: [slack]}',
      ),
    );
    expect(error.code).toBe('loosens_parent');
    expect(error.issues).toEqual([
      {
        path: '/commands/allow/1',
        message:
          "'bash *' is not allowed by parent cavra-ai-agent-baseline (a pack adds allows to its parent with metadata.extends, not inherits)",
      },
      {
        path: '/git/require_pull_request',
        message: 'cannot switch off a protection the parent cavra-ai-agent-baseline switches on',
      },
      {
        path: '/mcp/allowlist_enabled',
        message: 'cannot switch off a protection the parent cavra-ai-agent-baseline switches on',
      },
      {
        path: '/mcp/allowed_servers/0',
        message:
          "'slack' is not allowed by parent cavra-ai-agent-baseline (a pack adds allows to its parent with metadata.extends, not inherits)",
      },
      {
        path: '/mcp/block_unknown_servers',
        message: 'cannot switch off a protection the parent cavra-ai-agent-baseline switches on',
      },
    ]);
  });

  it('refuses an unknown parent', () => {
    const error = packError(() =>
      compilePolicyPack(parsePolicyPack('metadata: {id: team, version: "1", inherits: nowhere}')),
    );
    expect([error.code, error.issues]).toEqual([
      'unknown_parent',
      [{ path: '/metadata/inherits', message: "no pack with id 'nowhere' is loaded" }],
    ]);
  });

  it('loads overlays from files, parents found by id, and refuses cycles and missing files', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cavra-packs-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    await writeFile(
      join(dir, 'team.yaml'),
      'metadata: {id: team, version: "1", inherits: cavra-ai-agent-baseline}\n',
    );
    await writeFile(
      join(dir, 'service.yml'),
      'metadata: {id: service, version: "1", inherits: team}\ncommands: {block: [make *]}\n',
    );
    const service = await loadPolicyPackFile(join(dir, 'service.yml'));
    expect(service.resolved.metadata.inherits).toEqual(['team', 'cavra-ai-agent-baseline']);
    expect(service.resolved.commands.block.at(-1)).toBe('make *');
    const reloaded = parseCompiledPackJson(toCompiledPackJson(service));
    expect([reloaded.digest, reloaded.resolved.metadata.inherits]).toEqual([
      service.digest,
      ['team', 'cavra-ai-agent-baseline'],
    ]);

    await writeFile(join(dir, 'a.yaml'), 'metadata: {id: a, version: "1", inherits: b}\n');
    await writeFile(join(dir, 'b.yaml'), 'metadata: {id: b, version: "1", inherits: a}\n');
    await expect(loadPolicyPackFile(join(dir, 'a.yaml'))).rejects.toMatchObject({
      code: 'unknown_parent',
      issues: [{ path: '/metadata/inherits', message: 'inheritance cycle: a -> b -> a' }],
    });
    await writeFile(join(dir, 'orphan.yaml'), 'metadata: {id: orphan, version: "1", inherits: nowhere}\n');
    await expect(loadPolicyPackFile(join(dir, 'orphan.yaml'))).rejects.toMatchObject({
      code: 'unknown_parent',
      issues: [{ path: '/metadata/inherits', message: "no pack with id 'nowhere' is loaded" }],
    });
    await expect(loadPolicyPackFile(join(dir, 'missing.yaml'))).rejects.toMatchObject({
      code: 'io',
      issues: [{ path: '', message: 'cannot read: no such file or directory (ENOENT)' }],
      message: `policy pack ${join(dir, 'missing.yaml')}: io: cannot read: no such file or directory (ENOENT)`,
    });
  });
});

describe('the compiled JSON form and the digest', () => {
  it('round-trips with the same digest and refuses an edited file', async () => {
    const json = toCompiledPackJson(baseline);
    expect(parseCompiledPackJson(json).digest).toBe(baseline.digest);
    const dir = await mkdtemp(join(tmpdir(), 'cavra-packs-'));
    onTestFinished(() => rm(dir, { recursive: true, force: true }));
    await writeFile(join(dir, 'compiled.json'), json);
    expect((await loadPolicyPackFile(join(dir, 'compiled.json'))).digest).toBe(baseline.digest);

    const edited = json.replace('"curl *",', '');
    expect(packError(() => parseCompiledPackJson(edited)).issues).toEqual([
      {
        path: '/digest',
        message: expect.stringMatching(/^does not match the pack \(computed sha256:[0-9a-f]{64}\)$/),
      },
    ]);
    const envelope = (pack: unknown) =>
      JSON.stringify({ format: 'cavra-compiled-policy-pack/v1', digest: baseline.digest, pack });
    expect(packError(() => parseCompiledPackJson(envelope([1]))).issues).toEqual([
      { path: '', message: 'not a cavra-compiled-policy-pack/v1 document (needs format, digest and pack)' },
    ]);
    expect(packError(() => parseCompiledPackJson(envelope({ metadata: { id: 'a' } }))).issues).toEqual([
      { path: '/pack/metadata/inherits', message: 'must be a list of pack ids' },
    ]);
    const schemaError = packError(() =>
      parseCompiledPackJson(envelope({ metadata: { id: 'a', inherits: [] }, git: { x: 1 } }), 'c.json'),
    );
    expect([schemaError.source, schemaError.issues]).toEqual([
      'c.json',
      [
        { path: '/pack/metadata', message: "must have required property 'version'", line: 1, column: 134 },
        {
          path: '/pack/git/x',
          message:
            'is not a known key (known: block_push_branches, require_pull_request, require_ai_attestation, block_direct_push_to_protected_branch, require_human_reviewer, require_pr_attestation)',
          line: 1,
          column: 177,
        },
      ],
    ]);
    // Omitted sections are filled with their defaults before the digest is checked, never a crash.
    expect(
      packError(() => parseCompiledPackJson(envelope({ metadata: { id: 'a', version: '1', inherits: [] } })))
        .issues,
    ).toEqual([
      {
        path: '/digest',
        message: expect.stringMatching(/^does not match the pack \(computed sha256:[0-9a-f]{64}\)$/),
      },
    ]);
    expect(packError(() => parseCompiledPackJson('{"format":"other"}')).issues).toEqual([
      { path: '', message: 'not a cavra-compiled-policy-pack/v1 document (needs format, digest and pack)' },
    ]);
  });

  it('depends on content and order, not on key order or formatting', () => {
    const a = compilePolicyPack(
      parsePolicyPack('metadata: {id: x, version: "1"}\ncommands: {block: [a, b]}'),
    );
    const b = compilePolicyPack(
      parsePolicyPack('{"commands": {"block": ["a", "b"]}, "metadata": {"version": "1", "id": "x"}}'),
    );
    const c = compilePolicyPack(
      parsePolicyPack('metadata: {id: x, version: "1"}\ncommands: {block: [b, a]}'),
    );
    expect(a.digest).toBe(b.digest);
    expect(a.digest).not.toBe(c.digest);
  });
});
