import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import {
  BUILTIN_POLICY_DIR,
  type CompiledPolicyPack,
  compilePolicyPack,
  DEVELOPER_PACK_ID,
  loadBaselinePack,
  loadDeveloperPack,
  loadPolicyPack,
  loadPolicyPackFile,
  PolicyPackError,
  PROTECTED_PATHS,
  parseCompiledPackJson,
  parsePolicyPack,
  SHIPPED_PACK_IDS,
  toCompiledPackJson,
} from '../src/index.js';
import { exactEngine, request } from './support/engine.js';

let baseline: CompiledPolicyPack;
beforeAll(async () => {
  baseline = await loadBaselinePack();
});

const compile = (yaml: string, parents: readonly CompiledPolicyPack[] = [baseline]) =>
  compilePolicyPack(parsePolicyPack(yaml), { parents: new Map(parents.map((pack) => [pack.id, pack])) });

function packError(run: () => unknown): PolicyPackError {
  try {
    run();
  } catch (error) {
    if (error instanceof PolicyPackError) return error;
    throw error;
  }
  throw new Error('expected a PolicyPackError');
}

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'cavra-extends-'));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const decide = (pack: CompiledPolicyPack, actionType: string, target: string) =>
  exactEngine([pack]).evaluate(request(actionType, target, { policy_pack: pack.id })).decision;

describe('metadata.extends', () => {
  it("adds allows to the parent's, keeps its block lists, and lists each allow it adds as a loosening", () => {
    const team = compile(
      'metadata: {id: team, version: "1", extends: cavra-ai-agent-baseline}\ncommands: {allow: ["git status", "pytest"], block: ["make deploy*"]}\nmcp: {allowed_servers: [github]}\n',
    );
    expect(team.resolved.commands.allow).toEqual([...baseline.resolved.commands.allow, 'git status']);
    expect(team.resolved.commands.block).toEqual([...baseline.resolved.commands.block, 'make deploy*']);
    expect(team.resolved.metadata.inherits).toEqual(['cavra-ai-agent-baseline']);
    expect(team.resolved.metadata.loosens).toEqual([
      "commands.allow: 'git status' is not allowed by parent cavra-ai-agent-baseline",
      "mcp.allowed_servers: 'github' is not allowed by parent cavra-ai-agent-baseline",
    ]);
    expect([
      decide(team, 'execute_command', 'git status'),
      decide(team, 'execute_command', 'curl x'),
    ]).toEqual(['allow', 'block']);
    // The loosenings are part of what is digested: the same lists without them would digest differently.
    expect(team.canonicalJson).toContain('"loosens":["commands.allow: \'git status\'');
  });

  it('still refuses switching a protection off, and a pack naming both extends and inherits', () => {
    expect(
      packError(() =>
        compile(
          'metadata: {id: team, version: "1", extends: cavra-ai-agent-baseline}\ngit: {require_pull_request: false}\n',
        ),
      ).issues,
    ).toEqual([
      {
        path: '/git/require_pull_request',
        message: 'cannot switch off a protection the parent cavra-ai-agent-baseline switches on',
      },
    ]);
    const both = packError(() =>
      compile(
        'metadata: {id: team, version: "1", extends: cavra-ai-agent-baseline, inherits: cavra-ai-agent-baseline}\n',
      ),
    );
    expect([both.code, both.issues]).toEqual([
      'invalid_pack',
      [
        {
          path: '/metadata',
          message:
            'names both inherits and extends: extends a parent to add allows to it, inherits one to only tighten it',
        },
      ],
    ]);
  });

  it('keeps what it loosened through the compiled JSON form, under the same digest', () => {
    const team = compile(
      'metadata: {id: team, version: "1", extends: cavra-ai-agent-baseline}\ncommands: {allow: [ls]}\n',
    );
    const reloaded = parseCompiledPackJson(toCompiledPackJson(team), 'team.json');
    expect([reloaded.digest, reloaded.resolved.metadata.loosens]).toEqual([
      team.digest,
      ["commands.allow: 'ls' is not allowed by parent cavra-ai-agent-baseline"],
    ]);
  });
});

describe('the protected set', () => {
  it('gates writes to agent settings, CAVRA itself and startup files in a pack that names none of them', () => {
    const bare = compile('metadata: {id: bare, version: "1"}\n', []);
    for (const target of [
      '.claude/settings.json',
      '/home/dev/.claude/settings.json',
      '.cursor/hooks.json',
      '.mcp.json',
      'cavra-daemon.yaml',
      '.cavra/evidence.jsonl',
      '~/.bashrc',
      '~/.gitconfig',
      '~/.local/bin/git',
      '.github/CODEOWNERS',
    ]) {
      expect([target, decide(bare, 'write_file', target)]).toEqual([target, 'require_approval']);
    }
    expect(decide(bare, 'write_file', 'src/index.ts')).toBe('allow');
    expect(decide(bare, 'read_file', '/proc/1/environ')).toBe('block');
    expect(decide(bare, 'execute_command', 'git diff --output=.claude/settings.json')).toBe(
      'require_approval',
    );
    expect(bare.resolved.metadata.loosens).toEqual([]);
  });

  it('is given up only pattern by pattern, in filesystem.unprotect, each listed as a loosening that children keep', () => {
    const open = compile(
      'metadata: {id: open, version: "1"}\nfilesystem: {unprotect: ["**/.vscode/settings.json"]}\n',
      [],
    );
    expect(decide(open, 'write_file', '.vscode/settings.json')).toBe('allow');
    expect(decide(open, 'write_file', '.vscode/mcp.json')).toBe('require_approval');
    expect(open.resolved.metadata.loosens).toEqual([
      "filesystem.unprotect: '**/.vscode/settings.json' is not protected",
    ]);
    const child = compile('metadata: {id: child, version: "1", inherits: open}\n', [open]);
    expect([child.resolved.filesystem.unprotect, child.resolved.metadata.loosens]).toEqual([
      ['**/.vscode/settings.json'],
      open.resolved.metadata.loosens,
    ]);
    expect(
      packError(() =>
        compile('metadata: {id: x, version: "1"}\nfilesystem: {unprotect: ["**/.bashrc", "src/**"]}\n', []),
      ).issues,
    ).toEqual([
      {
        path: '/filesystem/unprotect/1',
        message: "'src/**' is not a protected pattern (see PROTECTED_PATHS in the runtime README)",
      },
    ]);
  });

  it('cannot be edited out of a compiled pack: the digest no longer matches', () => {
    const pack = JSON.parse(toCompiledPackJson(baseline));
    pack.pack.filesystem.require_approval_write = pack.pack.filesystem.require_approval_write.filter(
      (pattern: string) => !PROTECTED_PATHS.write.includes(pattern),
    );
    pack.digest = 'sha256:0';
    expect(packError(() => parseCompiledPackJson(JSON.stringify(pack), 'c.json')).issues).toEqual([
      { path: '/digest', message: expect.stringMatching(/^does not match the pack \(computed sha256:/) },
    ]);
  });
});

describe('shipped packs by id', () => {
  it('load by id through one resolver, files by path', async () => {
    expect(SHIPPED_PACK_IDS).toEqual(['cavra-ai-agent-baseline', 'cavra-developer']);
    const developer = await loadDeveloperPack();
    expect([developer.id, (await loadPolicyPack(DEVELOPER_PACK_ID)).digest]).toEqual([
      'cavra-developer',
      developer.digest,
    ]);
    expect((await loadPolicyPack(join(BUILTIN_POLICY_DIR, 'cavra-developer.yaml'))).digest).toBe(
      developer.digest,
    );
    await expect(loadPolicyPack('cavra-nothing')).rejects.toMatchObject({ code: 'io' });
  });

  it('resolve a parent named by a shipped id to the shipped pack, refusing a file that would pass for it', async () => {
    const dir = await tempDir();
    await writeFile(
      join(dir, 'team.yaml'),
      'metadata: {id: team, version: "1", inherits: cavra-ai-agent-baseline}\n',
    );
    await writeFile(
      join(dir, 'cavra-ai-agent-baseline.yaml'),
      'metadata: {id: cavra-ai-agent-baseline, version: "9"}\ncommands: {allow: ["*"]}\n',
    );
    await expect(loadPolicyPackFile(join(dir, 'team.yaml'))).rejects.toMatchObject({
      code: 'shadows_shipped_pack',
      issues: [
        {
          path: '/metadata/inherits',
          message: `'cavra-ai-agent-baseline' is a shipped pack, but ${join(dir, 'cavra-ai-agent-baseline.yaml')} is named like it: rename that file, or name it by path (./cavra-ai-agent-baseline.yaml) if it is the parent meant`,
        },
      ],
    });
    // Upstream's layout, one folder up, is refused alike.
    const nested = await tempDir();
    await mkdir(join(nested, 'cavra-ai-agent-baseline'));
    await mkdir(join(nested, 'team'));
    await writeFile(
      join(nested, 'cavra-ai-agent-baseline', 'policy.yaml'),
      'metadata: {id: x, version: "1"}\n',
    );
    await writeFile(
      join(nested, 'team', 'policy.yaml'),
      'metadata: {id: team, version: "1", inherits: [cavra-ai-agent-baseline]}\n',
    );
    await expect(loadPolicyPackFile(join(nested, 'team', 'policy.yaml'))).rejects.toMatchObject({
      code: 'shadows_shipped_pack',
    });
  });

  it('take a parent named by path as that file, and a shipped id from the shipped set when nothing shadows it', async () => {
    const dir = await tempDir();
    await writeFile(
      join(dir, 'org.yaml'),
      'metadata: {id: cavra-ai-agent-baseline, version: "9"}\ncommands: {allow: [ls]}\n',
    );
    await writeFile(join(dir, 'team.yaml'), 'metadata: {id: team, version: "1", extends: ./org.yaml}\n');
    const team = await loadPolicyPackFile(join(dir, 'team.yaml'));
    expect([team.resolved.commands.allow, team.resolved.metadata.inherits]).toEqual([
      ['ls'],
      ['cavra-ai-agent-baseline'],
    ]);
    await writeFile(join(dir, 'a.yaml'), 'metadata: {id: a, version: "1", extends: ./b.yaml}\n');
    await writeFile(join(dir, 'b.yaml'), 'metadata: {id: b, version: "1", inherits: [./a.yaml]}\n');
    await expect(loadPolicyPackFile(join(dir, 'a.yaml'))).rejects.toMatchObject({
      code: 'unknown_parent',
      issues: [{ path: '/metadata/id', message: 'inheritance cycle: a -> b -> a' }],
    });
    await writeFile(join(dir, 'dev.yaml'), 'metadata: {id: dev, version: "1", inherits: cavra-developer}\n');
    const dev = await loadPolicyPackFile(join(dir, 'dev.yaml'));
    expect(dev.resolved.metadata.inherits).toEqual(['cavra-developer', 'cavra-ai-agent-baseline']);
  });
});
