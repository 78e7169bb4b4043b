import { parseArgs } from 'node:util';
import type { Authority } from './authority.js';
import type { HookAnswer, HookFormat } from './hook-format.js';

const USAGE = `usage:
  cavra-hook claude-code|cursor|gemini-cli [--socket PATH] [--policy-pack ID] [--actor NAME] [--timeout-ms N]
                                           [--max-payload-bytes N] [--engine daemon|in-process] [--pack FILE]...
                                           [--confine PACK_FILE [--working-tree DIR] [--warm]]
  cavra-hook install|uninstall claude-code [--project [--dir DIR] | --user] [--command CMD]`;

const HOOK_OPTIONS = {
  socket: { type: 'string' },
  'policy-pack': { type: 'string' },
  actor: { type: 'string' },
  'timeout-ms': { type: 'string' },
  'max-payload-bytes': { type: 'string' },
  engine: { type: 'string' },
  pack: { type: 'string', multiple: true },
  confine: { type: 'string' },
  'working-tree': { type: 'string' },
  warm: { type: 'boolean' },
} as const;

const INSTALL_OPTIONS = {
  project: { type: 'boolean' },
  user: { type: 'boolean' },
  dir: { type: 'string' },
  command: { type: 'string' },
} as const;

/** A command line that cannot be run; the CLI prints it with the usage and exits 2. */
class UsageError extends Error {}

/**
 * `cavra-hook`: the hook command of each agent, and the Claude Code installer. The hook reads the agent's payload
 * from `stdin` and answers on stdout; every failure (bad arguments included) exits 2 with the reason on stderr,
 * which the agents read as a block. Modules are loaded on demand: an agent starts this once per tool call.
 */
export async function runCavraHook(
  argv: readonly string[],
  stdin: AsyncIterable<Uint8Array> | string,
  env: NodeJS.ProcessEnv,
): Promise<HookAnswer> {
  try {
    const [command, ...rest] = argv;
    switch (command) {
      case 'claude-code':
        return await hook((await import('./claude-code.js')).claudeCode, rest, stdin, env);
      case 'cursor':
        return await hook((await import('./cursor.js')).cursor, rest, stdin, env);
      case 'gemini-cli':
        return await hook((await import('./gemini-cli.js')).geminiCli, rest, stdin, env);
      case 'install':
      case 'uninstall':
        return await install(command, rest);
      default:
        throw new UsageError(command ? `unknown command '${command}'` : 'a command is required');
    }
  } catch (error) {
    const usage =
      error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    const message = error instanceof Error ? error.message : String(error);
    return {
      stdout: '',
      stderr: `cavra-hook: ${usage ? 'usage error, denied' : 'error'}: ${message}${usage ? `\n${USAGE}` : ''}\n`,
      exitCode: 2,
    };
  }
}

async function hook(
  format: HookFormat,
  args: readonly string[],
  stdin: AsyncIterable<Uint8Array> | string,
  env: NodeJS.ProcessEnv,
): Promise<HookAnswer> {
  const { values } = parseArgs({ args: [...args], options: HOOK_OPTIONS, strict: true });
  const engine = values.engine ?? env.CAVRA_ENGINE ?? 'daemon';
  if (engine !== 'daemon' && engine !== 'in-process') {
    throw new UsageError(`--engine must be daemon or in-process, not '${engine}'`);
  }
  if (values.pack && engine !== 'in-process') throw new UsageError('--pack needs --engine in-process');
  const confinePack = values.confine ?? env.CAVRA_CONFINE;
  if ((values['working-tree'] || values.warm) && !confinePack) {
    throw new UsageError('--working-tree and --warm go with --confine');
  }
  const timeoutMs = positive('--timeout-ms', values['timeout-ms']);
  const maxPayloadBytes = positive('--max-payload-bytes', values['max-payload-bytes']);
  const [{ runHook }, authorities] = await Promise.all([import('./run-hook.js'), import('./authority.js')]);
  let authority: Authority;
  if (engine === 'in-process') {
    authority = authorities.engineAuthority({ policyPacks: values.pack ?? [] });
  } else {
    const socketPath =
      values.socket || env.CAVRA_SOCKET || (await import('@cavra/daemon-client')).defaultSocketPath(env);
    authority = authorities.daemonAuthority({ socketPath, ...(timeoutMs ? { timeoutMs } : {}) });
  }
  try {
    const policyPack = values['policy-pack'] ?? env.CAVRA_POLICY_PACK;
    const actor = values.actor ?? env.CAVRA_ACTOR;
    const confinement = confinePack
      ? await (await import('./confine.js')).loadConfinement(
          confinePack,
          values['working-tree'],
          values.warm === true,
        )
      : undefined;
    return await runHook(format, stdin, {
      authority,
      ...(confinement ? { confinement } : {}),
      ...(actor ? { actor } : {}),
      ...(policyPack ? { policyPack } : {}),
      ...(maxPayloadBytes ? { maxPayloadBytes } : {}),
    });
  } finally {
    await authority.close();
  }
}

async function install(command: 'install' | 'uninstall', args: readonly string[]): Promise<HookAnswer> {
  const { values, positionals } = parseArgs({
    args: [...args],
    options: INSTALL_OPTIONS,
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length !== 1 || positionals[0] !== 'claude-code') {
    throw new UsageError(`${command} takes one agent: claude-code`);
  }
  if (values.project && values.user) throw new UsageError('--project and --user exclude each other');
  if (values.dir && values.user) throw new UsageError('--dir goes with --project');
  const settings = await import('./claude-code-settings.js');
  const options = {
    scope: values.user ? ('user' as const) : ('project' as const),
    ...(values.dir ? { projectDir: values.dir } : {}),
    ...(values.command ? { command: values.command } : {}),
  };
  const result =
    command === 'install'
      ? await settings.installClaudeCodeHook(options)
      : await settings.uninstallClaudeCodeHook(options);
  const what =
    command === 'install'
      ? result.changed
        ? 'installed'
        : 'already installed'
      : result.changed
        ? 'removed'
        : 'not installed';
  return {
    stdout: `cavra-hook: ${what}: PreToolUse hook '${result.command}' in ${result.settingsFile}\n`,
    stderr: '',
    exitCode: 0,
  };
}

function positive(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isSafeInteger(number) || number <= 0)
    throw new UsageError(`${name} must be a positive integer`);
  return number;
}
