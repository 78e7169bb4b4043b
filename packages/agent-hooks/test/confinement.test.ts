import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cavraCanUseTool, cavraPreToolUseHook } from '../src/agent-sdk.js';
import { engineAuthority } from '../src/authority.js';
import { confinedCommand, loadConfinement } from '../src/confine.js';
import {
  claudePayload,
  GATEWAY_BIN,
  type ProcessResult,
  processResult,
  runHookProcess,
  startTestDaemon,
} from './support/test-daemon.js';

// Real confinement: the hook's answer is run by bash as Claude Code would, through the real srt over the real
// bubblewrap (`npm test` installs them first: tooling/system-packages.mjs).

/**
 * What the tiny project's test file tries, one outcome each: `done`, or the error code that stopped it. It fails
 * (exit 1) when any step got through.
 */
const PROBE_TEST = `const fs = require('node:fs');
const net = require('node:net');
const attempt = (step) => { try { step(); return 'done'; } catch (error) { return error.code; } };
const outcome = {
  readEnv: attempt(() => fs.readFileSync('.env', 'utf8')),
  writeGitHook: attempt(() => fs.writeFileSync('.git/hooks/pre-commit', '#!/bin/sh\\ncurl evil.example\\n')),
};
const socket = net.connect({ host: '127.0.0.1', port: Number(fs.readFileSync('port.txt', 'utf8')) });
const finish = (result) => {
  socket.destroy();
  outcome.connectLoopback = result;
  console.log('OUTCOME ' + JSON.stringify(outcome));
  process.exitCode = Object.values(outcome).includes('done') ? 1 : 0;
};
socket.on('connect', () => finish('done'));
socket.on('error', (error) => finish(error.code));
`;

/** A benign test: reads the sources, writes its output under dist/. */
const BENIGN_TEST = `const fs = require('node:fs');
const source = fs.readFileSync('src/answer.txt', 'utf8');
fs.mkdirSync('dist', { recursive: true });
fs.writeFileSync('dist/answer.txt', source.toUpperCase());
console.log('BUILT ' + fs.readFileSync('dist/answer.txt', 'utf8'));
`;

const PACK = `metadata:
  id: confined-baseline
  version: 1.0.0
  inherits: cavra-ai-agent-baseline
sandbox:
  confine_commands: true
`;

let root: string;
let home: string;
let project: string;
let packFile: string;
let server: Server;
let connections: number;

beforeAll(async () => {
  connections = 0;
  server = createServer((socket) => {
    connections += 1;
    // The probe hangs up at once: a reset is expected.
    socket.on('error', () => {});
    socket.end('hello\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(async () => {
  root = mkdtempSync(join(tmpdir(), 'cavra-confine-'));
  project = join(root, 'project');
  // The hook also hides secrets in the home folder (~/.ssh, ~/.npmrc, ...): its own, so the test knows what is there.
  home = join(root, 'home');
  mkdirSync(join(home, '.ssh'), { recursive: true });
  mkdirSync(join(project, 'src'), { recursive: true });
  mkdirSync(join(project, '.git', 'hooks'), { recursive: true });
  writeFileSync(join(project, '.env'), 'API_TOKEN=secret\n');
  writeFileSync(join(project, 'src', 'answer.txt'), 'forty-two');
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({ name: 'tiny', version: '1.0.0', private: true, scripts: { test: 'node test.js' } }),
  );
  writeFileSync(join(project, 'port.txt'), String((server.address() as { port: number }).port));
  packFile = join(root, 'pack.yaml');
  writeFileSync(packFile, PACK);
});
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

interface ClaudeAnswer {
  hookSpecificOutput: {
    permissionDecision: string;
    permissionDecisionReason: string;
    updatedInput?: { command: string; description?: string };
  };
}

/** How the hook confines: srt started per command, or the warm runner (`--warm`). */
type Mode = 'srt' | 'warm';

async function hookAnswer(
  command: string,
  env: NodeJS.ProcessEnv = {},
  mode: Mode = 'srt',
): Promise<ProcessResult> {
  return runHookProcess(
    [
      'claude-code',
      '--engine',
      'in-process',
      '--pack',
      packFile,
      '--confine',
      packFile,
      ...(mode === 'warm' ? ['--warm'] : []),
    ],
    claudePayload('Bash', { command, description: 'run the tests' }, project),
    // The warm runner's socket folder is the test's own, and the runner exits 30 s after its last use. Not sooner:
    // its idle time starts when it listens, and the hook that started it registers only after reading `ready`; with
    // 3 s, a call on a loaded CI machine was denied, most likely for that (the runner gone: sandbox_unavailable).
    { HOME: home, XDG_RUNTIME_DIR: root, CAVRA_SANDBOX_RUNNER_IDLE_MS: '30000', ...env },
  );
}

/** The settings the wrapped command hands srt (its here-document). */
function settingsOf(command: string): unknown {
  const [, document] = command.split("3<<'CAVRA_SANDBOX_SETTINGS'\n");
  return JSON.parse((document ?? '').replace(/\nCAVRA_SANDBOX_SETTINGS$/, ''));
}

/** Runs a command the way Claude Code's Bash tool does: bash, in the project. */
function runBash(command: string): Promise<ProcessResult> {
  return processResult(spawn('bash', ['-c', command], { cwd: project, stdio: ['ignore', 'pipe', 'pipe'] }));
}

async function confinedRun(command: string, mode: Mode) {
  const answer = await hookAnswer(command, {}, mode);
  expect(answer.stderr).toBe('');
  expect(answer.code).toBe(0);
  const output = (JSON.parse(answer.stdout) as ClaudeAnswer).hookSpecificOutput;
  expect(output.permissionDecision, output.permissionDecisionReason).toBe('allow');
  expect(output.updatedInput?.description).toBe('run the tests');
  return { output, run: await runBash(output.updatedInput?.command ?? '') };
}

function outcomeLine(stdout: string): unknown {
  const line = stdout.split('\n').find((text) => text.startsWith('OUTCOME '));
  return line ? JSON.parse(line.slice('OUTCOME '.length)) : undefined;
}

describe('an allowed npm test runs confined (srt over bubblewrap)', () => {
  it('without confinement the test file reads .env, plants a git hook and reaches the loopback server', async () => {
    writeFileSync(join(project, 'test.js'), PROBE_TEST);
    const run = await runBash('npm test');
    expect(outcomeLine(run.stdout)).toEqual({
      readEnv: 'done',
      writeGitHook: 'done',
      connectLoopback: 'done',
    });
    expect(run.code).toBe(1);
    expect(existsSync(join(project, '.git', 'hooks', 'pre-commit'))).toBe(true);
    expect(connections).toBe(1);
    connections = 0;
  });

  it.each(['srt', 'warm'] as const)(
    'confined (%s), each of the three steps fails and nothing reaches the host',
    async (mode) => {
      writeFileSync(join(project, 'test.js'), PROBE_TEST);
      const { output, run } = await confinedRun('npm test', mode);
      expect(output.permissionDecisionReason).toBe(
        `CAVRA allow (commands.allow): command allowed by pattern 'npm test' (commands.allow[8]); runs confined: writes only in ${project} (8 protected paths read-only), 2 secret paths hidden, network none`,
      );
      // The baseline's block_read / block_write / require_approval_write, as paths: what exists, and the places
      // block_write names literally (so a file created there later is protected too).
      if (mode === 'srt')
        expect(settingsOf(output.updatedInput?.command ?? '')).toEqual({
          network: { allowedDomains: [], deniedDomains: [] },
          filesystem: {
            denyRead: [join(home, '.ssh'), join(project, '.env')],
            allowRead: [],
            allowWrite: [project],
            denyWrite: [
              '.env',
              '.git',
              '.github/workflows',
              '.ssh',
              'backend.tf',
              'main.tf',
              'package.json',
              'providers.tf',
            ].map((path) => join(project, path)),
          },
        });
      expect(outcomeLine(run.stdout)).toEqual({
        readEnv: 'EACCES',
        writeGitHook: 'EROFS',
        connectLoopback: 'ECONNREFUSED',
      });
      expect(run.code).toBe(0);
      expect(existsSync(join(project, '.git', 'hooks', 'pre-commit'))).toBe(false);
      expect(connections).toBe(0);
    },
  );

  it.each(['srt', 'warm'] as const)(
    'confined (%s), a benign test reads its sources and writes dist/',
    async (mode) => {
      writeFileSync(join(project, 'test.js'), BENIGN_TEST);
      const { run } = await confinedRun('npm test', mode);
      expect(run.stdout).toContain('BUILT FORTY-TWO');
      expect(run.code).toBe(0);
      expect(readFileSync(join(project, 'dist', 'answer.txt'), 'utf8')).toBe('FORTY-TWO');
    },
  );

  it('a command that needs approval is asked about with the wrapped command, which is what runs once approved', async () => {
    const answer = await hookAnswer('kubectl get pods');
    const output = (JSON.parse(answer.stdout) as ClaudeAnswer).hookSpecificOutput;
    expect(output.permissionDecision, output.permissionDecisionReason).toBe('ask');
    expect(output.updatedInput?.command).toMatch(
      / --settings \/dev\/fd\/3 -c 'kubectl get pods' 3<<'CAVRA_SANDBOX_SETTINGS'\n/,
    );
  });

  it('a denied command is denied, not wrapped', async () => {
    const answer = await hookAnswer('curl https://example.com/x.sh');
    const output = (JSON.parse(answer.stdout) as ClaudeAnswer).hookSpecificOutput;
    expect(output.permissionDecision, output.permissionDecisionReason).toBe('deny');
    expect(output.updatedInput).toBeUndefined();
  });
});

describe('the warm runner', () => {
  it('runs a registered command once, and only that command', async () => {
    writeFileSync(join(project, 'test.js'), BENIGN_TEST);
    const { output, run } = await confinedRun('npm test', 'warm');
    expect(run.code).toBe(0);
    const wrapped = output.updatedInput?.command ?? '';
    expect(wrapped).toMatch(/cavra-sandbox\.js run --socket \S+\.sock --token [0-9a-f]{48} -- 'npm test'$/);
    expect(await runBash(wrapped)).toEqual({
      stdout: '',
      stderr: 'cavra-sandbox: the command did not run: unknown or expired token\n',
      code: 126,
    });
    const again = (JSON.parse((await hookAnswer('npm test', {}, 'warm')).stdout) as ClaudeAnswer)
      .hookSpecificOutput;
    const swapped = (again.updatedInput?.command ?? '').replace(/'npm test'$/, "'cat .env'");
    expect(await runBash(swapped)).toEqual({
      stdout: '',
      stderr: 'cavra-sandbox: the command did not run: the command is not the one registered\n',
      code: 126,
    });
  });

  it("hides its own folder from the confined command, which cannot reach the runner's socket", async () => {
    const folder = join(root, `cavra-sandbox-${process.getuid?.() ?? 0}`);
    const answer = await hookAnswer(`ls -A ${folder}; echo listed`, {}, 'warm');
    const output = (JSON.parse(answer.stdout) as ClaudeAnswer).hookSpecificOutput;
    expect(output.permissionDecision, output.permissionDecisionReason).toBe('ask');
    expect(readdirSync(folder).filter((name) => name.endsWith('.sock')).length).toBe(1);
    const run = await runBash(output.updatedInput?.command ?? '');
    // stderr is left out: a shell start-up file of the machine (BASH_ENV) may complain about the read-only home.
    expect({ stdout: run.stdout, code: run.code }).toEqual({ stdout: 'listed\n', code: 0 });
  });
});

describe('the wrapped command', () => {
  it.each([
    `printf '%s|' "a'b" 'c"d' "\\$(id)" '\\\\x' '!bang'`,
    "echo 'multi\nCAVRA_SANDBOX_SETTINGS\nline'",
    'echo "$HOME" `echo tick`; exit 3',
  ])('runs exactly what the agent wrote: %s', async (command) => {
    const settings = {
      network: { allowedDomains: [], deniedDomains: [] },
      filesystem: { denyRead: [], allowRead: [], allowWrite: [project], denyWrite: [] },
    };
    const [bare, confined] = [await runBash(command), await runBash(confinedCommand(command, settings))];
    expect(confined).toEqual(bare);
  });
});

describe('with the daemon deciding', () => {
  it('the daemon decides and records; the hook confines by the pack file it was given', async () => {
    const daemon = await startTestDaemon();
    try {
      writeFileSync(join(project, 'test.js'), PROBE_TEST);
      const answer = await runHookProcess(
        ['claude-code', '--socket', daemon.socketPath, '--confine', packFile],
        claudePayload('Bash', { command: 'npm test' }, project),
        { HOME: home },
      );
      const output = (JSON.parse(answer.stdout) as ClaudeAnswer).hookSpecificOutput;
      expect(output.permissionDecision, output.permissionDecisionReason).toBe('allow');
      const run = await runBash(output.updatedInput?.command ?? '');
      expect(outcomeLine(run.stdout)).toEqual({
        readEnv: 'EACCES',
        writeGitHook: 'EROFS',
        connectLoopback: 'ECONNREFUSED',
      });
      const records = await daemon.evidence();
      expect(records.map((record) => (record.decision as Record<string, unknown>).target)).toEqual([
        'npm test',
      ]);
    } finally {
      await daemon.close();
    }
  });
});

describe('Claude Agent SDK callbacks', () => {
  it('canUseTool and the PreToolUse callback allow a Bash command with the wrapped command as updatedInput', async () => {
    writeFileSync(join(project, 'test.js'), PROBE_TEST);
    const options = {
      authority: engineAuthority({ policyPacks: [packFile] }),
      confinement: await loadConfinement(packFile, project),
    };
    const signal = new AbortController().signal;
    const permission = await cavraCanUseTool(options)(
      'Bash',
      { command: 'npm test', timeout: 60_000 },
      { signal },
    );
    if (permission.behavior !== 'allow') throw new Error(`denied: ${permission.message}`);
    expect(permission.updatedInput.timeout).toBe(60_000);
    const run = await runBash(String(permission.updatedInput.command));
    expect(outcomeLine(run.stdout)).toEqual({
      readEnv: 'EACCES',
      writeGitHook: 'EROFS',
      connectLoopback: 'ECONNREFUSED',
    });
    const hooked = await cavraPreToolUseHook(options)(
      {
        hook_event_name: 'PreToolUse',
        session_id: 's',
        cwd: project,
        tool_name: 'Bash',
        tool_input: { command: 'npm test' },
      },
      undefined,
      { signal },
    );
    expect(hooked.hookSpecificOutput?.permissionDecision).toBe('allow');
    expect(String(hooked.hookSpecificOutput?.updatedInput?.command)).toMatch(
      / -c 'npm test' 3<<'CAVRA_SANDBOX_SETTINGS'\n/,
    );
  });
});

describe('confinement configured but unavailable fails closed', () => {
  it('denies naming the install command when bubblewrap, socat and ripgrep are not on PATH', async () => {
    const bin = join(root, 'bin');
    mkdirSync(bin);
    symlinkSync(process.execPath, join(bin, 'node'));
    const answer = await hookAnswer('npm test', { PATH: bin });
    expect(answer.code).toBe(0);
    const output = (JSON.parse(answer.stdout) as ClaudeAnswer).hookSpecificOutput;
    expect(output.permissionDecision, output.permissionDecisionReason).toBe('deny');
    expect(output.updatedInput).toBeUndefined();
    expect(output.permissionDecisionReason).toBe(
      "CAVRA: confinement unavailable (sandbox_unavailable), denied: the sandbox cannot start: ripgrep (rg) not found; bubblewrap (bwrap) not installed; socat not installed; install: sudo apt-get install -y bubblewrap socat ripgrep (Debian, Ubuntu); sudo dnf install -y bubblewrap socat ripgrep (Fedora) (CAVRA allow (commands.allow): command allowed by pattern 'npm test' (commands.allow[8]))",
    );
  });

  it('denies every command for Cursor, whose hook cannot replace the command', async () => {
    const answer = await runHookProcess(
      ['cursor', '--engine', 'in-process', '--pack', packFile, '--confine', packFile],
      JSON.stringify({ hook_event_name: 'beforeShellExecution', command: 'npm test', cwd: project }),
    );
    expect(JSON.parse(answer.stdout)).toMatchObject({
      permission: 'deny',
      agent_message:
        "CAVRA: confinement unavailable (agent_cannot_confine), denied: the cursor hook cannot replace the command it runs, so it cannot run it confined (CAVRA allow (commands.allow): command allowed by pattern 'npm test' (commands.allow[8]))",
    });
  });

  it('refuses a pack without a sandbox section (exit 2, a block)', async () => {
    const plain = join(root, 'plain.yaml');
    writeFileSync(plain, 'metadata:\n  id: plain\n  version: 1.0.0\n');
    const answer = await runHookProcess(
      ['claude-code', '--engine', 'in-process', '--confine', plain],
      claudePayload('Bash', { command: 'npm test' }, project),
    );
    expect(answer.code).toBe(2);
    expect(answer.stdout).toBe('');
    expect(answer.stderr).toBe(
      `cavra-hook: error: ${plain} has no sandbox section with confine_commands: true\n`,
    );
  });
});

describe('Gemini CLI', () => {
  it('gets the wrapped command as hookSpecificOutput.tool_input', async () => {
    const answer = await runHookProcess(
      ['gemini-cli', '--engine', 'in-process', '--pack', packFile, '--confine', packFile],
      JSON.stringify({
        hook_event_name: 'BeforeTool',
        session_id: 's',
        cwd: project,
        tool_name: 'run_shell_command',
        tool_input: { command: 'npm test' },
      }),
    );
    const parsed = JSON.parse(answer.stdout) as {
      decision: string;
      hookSpecificOutput: { tool_input: { command: string } };
    };
    expect(parsed.decision).toBe('allow');
    writeFileSync(join(project, 'test.js'), BENIGN_TEST);
    const run = await runBash(parsed.hookSpecificOutput.tool_input.command);
    expect(run.stdout).toContain('BUILT FORTY-TWO');
    expect(run.code).toBe(0);
  });
});

describe('cavra-mcp-gateway --confine', () => {
  const FILESYSTEM_SERVER = createRequire(import.meta.url).resolve(
    '@modelcontextprotocol/server-filesystem/dist/index.js',
  );

  it('starts the server in the sandbox: the tools it offers cannot read secrets or write protected paths', async () => {
    const mcpPack = join(root, 'mcp-pack.yaml');
    writeFileSync(
      mcpPack,
      'metadata: {id: confined-mcp, version: 1.0.0}\n' +
        'filesystem: {block_read: ["**/.env"], block_write: ["**/.git/**"]}\n' +
        'mcp: {allowlist_enabled: true, allowed_servers: [filesystem]}\n' +
        'sandbox: {confine_commands: true}\n',
    );
    const client = new Client({ name: 'cavra-test-client', version: '1.0.0' });
    await client.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [
          GATEWAY_BIN,
          '--engine',
          'in-process',
          '--pack',
          mcpPack,
          '--confine',
          mcpPack,
          '--working-tree',
          project,
          '--name',
          'filesystem',
          '--',
          process.execPath,
          FILESYSTEM_SERVER,
          project,
        ],
        env: { PATH: process.env.PATH ?? '', HOME: home, TMPDIR: tmpdir() },
        stderr: 'pipe',
      }),
    );
    const call = async (name: string, args: Record<string, unknown>) => {
      const result = await client.callTool({ name, arguments: args });
      const content = result.content as { text: string }[];
      return { isError: result.isError === true, text: content.map((part) => part.text).join('') };
    };
    try {
      expect(await call('read_text_file', { path: join(project, 'src', 'answer.txt') })).toEqual({
        isError: false,
        text: 'forty-two',
      });
      const secret = await call('read_text_file', { path: join(project, '.env') });
      expect(secret.isError).toBe(true);
      expect(secret.text).toBe(`EACCES: permission denied, open '${join(project, '.env')}'`);
      const hook = await call('write_file', {
        path: join(project, '.git', 'hooks', 'pre-commit'),
        content: 'x',
      });
      expect(hook.isError).toBe(true);
      expect(hook.text).toBe(
        `EROFS: read-only file system, open '${join(project, '.git', 'hooks', 'pre-commit')}'`,
      );
      expect(existsSync(join(project, '.git', 'hooks', 'pre-commit'))).toBe(false);
    } finally {
      await client.close();
    }
  });
});
