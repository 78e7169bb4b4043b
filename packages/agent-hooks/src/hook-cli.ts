import { parseArgs } from 'node:util';
import type { Authority } from './authority.js';
import type { HookAnswer, HookFormat } from './hook-format.js';

const USAGE = `usage:
  cavra-hook claude-code|cursor|gemini-cli [--socket PATH] [--policy-pack ID] [--actor NAME] [--timeout-ms N]
                                           [--max-payload-bytes N] [--engine daemon|in-process] [--pack FILE]...
                                           [--daemon-config FILE] [--state-dir DIR]
                                           [--confine PACK_FILE [--working-tree DIR] [--warm]]
  cavra-hook claude-code-post-tool-use [the options of cavra-hook claude-code]
  cavra-hook init claude-code [--dir DIR] [--remove]
  cavra-hook install|uninstall claude-code [--project [--dir DIR] | --user] [--command CMD]`;

const HELP = `cavra-hook: the pre-tool-use hook of AI coding agents: each tool call decided by CAVRA before it runs

${USAGE}

hook options (claude-code, cursor, gemini-cli; the agent runs the hook, payload on stdin):
  --socket PATH            the daemon's socket (default $CAVRA_SOCKET, else the daemon's default)
  --policy-pack ID         the pack requests name (default $CAVRA_POLICY_PACK, else the daemon's default)
  --actor NAME             who acts (default $CAVRA_ACTOR, else ai-agent)
  --timeout-ms N           how long to wait for the daemon
  --max-payload-bytes N    largest payload read (default 4194304)
  --engine daemon|in-process
                           in-process decides in the hook, from --pack files (no daemon, no evidence log)
  --pack FILE              a pack for --engine in-process (repeat for more)
  --daemon-config FILE     the daemon's config, named in the start command a deny prints while no daemon answers
  --confine PACK_FILE      run allowed commands confined by the pack's sandbox section (sandbox-runtime)
  --working-tree DIR       with --confine: the tree confined commands may write (default: the payload's cwd)
  --warm                   with --confine: run through a warm cavra-sandbox runner instead of srt per command
  --state-dir DIR          claude-code: where the calls answered ask wait for PostToolUse (default
                           $CAVRA_HOOK_STATE_DIR, else $XDG_STATE_HOME/cavra-hook, else ~/.local/state/cavra-hook)

post-tool-use (Claude Code's PostToolUse hook, installed beside PreToolUse): records in the daemon's evidence log
that a call the PreToolUse hook answered ask ran (the person accepted it). It never blocks: it always exits 0, a
failure to record is written to stderr.

init options:
  --dir DIR                the project (default: the working folder)
  --remove                 take out what init wrote to .claude/settings.json (byte for byte when nothing else changed)
install options:
  --project [--dir DIR]    write DIR/.claude/settings.json (default: the working folder)
  --user                   write ~/.claude/settings.json
  --command CMD            the hook command to write
  -h, --help               print this help (exit 0; after a hook command, exit 2: a hook never exits 0 undecided)

examples:
  cavra-hook init claude-code
  cavra-hook install claude-code --project
  echo '{"tool_name": "Bash", "tool_input": {"command": "ls"}}' | cavra-hook claude-code --engine in-process
`;

const HELP_OPTIONS = new Set(['--help', '-h']);

const HOOK_OPTIONS = {
  socket: { type: 'string' },
  'policy-pack': { type: 'string' },
  actor: { type: 'string' },
  'timeout-ms': { type: 'string' },
  'max-payload-bytes': { type: 'string' },
  engine: { type: 'string' },
  pack: { type: 'string', multiple: true },
  'daemon-config': { type: 'string' },
  confine: { type: 'string' },
  'working-tree': { type: 'string' },
  warm: { type: 'boolean' },
  'state-dir': { type: 'string' },
} as const;

const INIT_OPTIONS = {
  dir: { type: 'string' },
  remove: { type: 'boolean' },
} as const;

const INSTALL_OPTIONS = {
  project: { type: 'boolean' },
  user: { type: 'boolean' },
  dir: { type: 'string' },
  command: { type: 'string' },
} as const;

/** The subcommand of Claude Code's PostToolUse hook. */
const POST_TOOL_USE_COMMAND = 'claude-code-post-tool-use';

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
    if (command !== undefined && (HELP_OPTIONS.has(command) || command === 'help')) {
      return { stdout: HELP, stderr: '', exitCode: 0 };
    }
    if (rest.some((arg) => HELP_OPTIONS.has(arg))) {
      // An agent reads exit 0 without a decision as "go ahead": a hook command asked for help still denies. The
      // installers and the PostToolUse hook (which runs after the call, and never blocks) print it.
      const helps = command === 'install' || command === 'uninstall' || command === POST_TOOL_USE_COMMAND;
      return helps
        ? { stdout: HELP, stderr: '', exitCode: 0 }
        : { stdout: '', stderr: `${HELP}\ncavra-hook: --help, denied\n`, exitCode: 2 };
    }
    switch (command) {
      case 'claude-code':
        return await hook((await import('./claude-code.js')).claudeCode, rest, stdin, env);
      case POST_TOOL_USE_COMMAND:
        return await postToolUse(rest, stdin, env);
      case 'cursor':
        return await hook((await import('./cursor.js')).cursor, rest, stdin, env);
      case 'gemini-cli':
        return await hook((await import('./gemini-cli.js')).geminiCli, rest, stdin, env);
      case 'init':
        return await init(rest);
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

type HookValues = ReturnType<typeof parseHookArgs>;

function parseHookArgs(args: readonly string[]) {
  return parseArgs({ args: [...args], options: HOOK_OPTIONS, strict: true }).values;
}

async function hook(
  format: HookFormat,
  args: readonly string[],
  stdin: AsyncIterable<Uint8Array> | string,
  env: NodeJS.ProcessEnv,
): Promise<HookAnswer> {
  const values = parseHookArgs(args);
  const confinePack = values.confine ?? env.CAVRA_CONFINE;
  if ((values['working-tree'] || values.warm) && !confinePack) {
    throw new UsageError('--working-tree and --warm go with --confine');
  }
  if (values['state-dir'] && format.agentId !== 'claude-code') {
    throw new UsageError('--state-dir goes with claude-code');
  }
  const maxPayloadBytes = positive('--max-payload-bytes', values['max-payload-bytes']);
  const [{ runHook }, authority] = await Promise.all([import('./run-hook.js'), authorityOf(values, env)]);
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
    // Only Claude Code has a PostToolUse hook to follow an ask, and only a daemon keeps the record.
    const askedCalls =
      format.agentId === 'claude-code' && authority.reportActionOutcome
        ? await askedCallsOf(values, env)
        : undefined;
    return await runHook(format, stdin, {
      authority,
      ...(confinement ? { confinement } : {}),
      ...(askedCalls ? { askedCalls } : {}),
      ...(actor ? { actor } : {}),
      ...(policyPack ? { policyPack } : {}),
      ...(maxPayloadBytes ? { maxPayloadBytes } : {}),
    });
  } finally {
    await authority.close();
  }
}

/**
 * `cavra-hook claude-code-post-tool-use`: takes the options of `cavra-hook claude-code` (the installer writes the
 * same ones; those about deciding go unused) and always exits 0: it runs after the call (reportAskedCallRan).
 */
async function postToolUse(
  args: readonly string[],
  stdin: AsyncIterable<Uint8Array> | string,
  env: NodeJS.ProcessEnv,
): Promise<HookAnswer> {
  try {
    const values = parseHookArgs(args);
    const maxPayloadBytes = positive('--max-payload-bytes', values['max-payload-bytes']);
    const [{ reportAskedCallRan }, authority] = await Promise.all([
      import('./claude-code-post-tool-use.js'),
      authorityOf(values, env),
    ]);
    try {
      return await reportAskedCallRan(stdin, {
        authority,
        askedCalls: await askedCallsOf(values, env),
        ...(maxPayloadBytes ? { maxPayloadBytes } : {}),
      });
    } finally {
      await authority.close();
    }
  } catch (error) {
    return {
      stdout: '',
      stderr: `cavra-hook: PostToolUse: nothing recorded: ${error instanceof Error ? error.message : String(error)}\n`,
      exitCode: 0,
    };
  }
}

/** Who decides: the daemon (default) or the engine in this process, from the options and the environment. */
async function authorityOf(values: HookValues, env: NodeJS.ProcessEnv): Promise<Authority> {
  const engine = values.engine ?? env.CAVRA_ENGINE ?? 'daemon';
  if (engine !== 'daemon' && engine !== 'in-process') {
    throw new UsageError(`--engine must be daemon or in-process, not '${engine}'`);
  }
  if (values.pack && engine !== 'in-process') throw new UsageError('--pack needs --engine in-process');
  const timeoutMs = positive('--timeout-ms', values['timeout-ms']);
  const authorities = await import('./authority.js');
  if (engine === 'in-process') return authorities.engineAuthority({ policyPacks: values.pack ?? [] });
  const daemonConfig = values['daemon-config'];
  const daemon = (socketPath: string) =>
    authorities.daemonAuthority({
      socketPath,
      ...(timeoutMs ? { timeoutMs } : {}),
      ...(daemonConfig ? { daemonConfig } : {}),
    });
  const named = values.socket || env.CAVRA_SOCKET;
  if (named) return daemon(named);
  // The default socket is the client package's to name, and its entry loads the client's socket code: named on first
  // use, so that a call answered without the daemon (a pass-through tool, a PostToolUse with nothing asked) loads none.
  let made: Promise<Authority> | undefined;
  const atDefault = () =>
    (made ??= import('@cavra/daemon-client/thin').then(({ defaultSocketPath }) =>
      daemon(defaultSocketPath(env)),
    ));
  return {
    decide: async (request) => (await atDefault()).decide(request),
    reportActionOutcome: async (outcome) => (await atDefault()).reportActionOutcome?.(outcome),
    close: async () => (await made)?.close(),
  };
}

async function askedCallsOf(values: HookValues, env: NodeJS.ProcessEnv) {
  const { askedCallsIn, defaultStateDir } = await import('./asked-calls.js');
  return askedCallsIn(values['state-dir'] ?? defaultStateDir(env));
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
  const post = result.postToolUseCommand
    ? ` and PostToolUse hook '${result.postToolUseCommand}'`
    : ' (no PostToolUse hook: the command does not run cavra-hook claude-code, so asks are not followed)';
  return {
    stdout: `cavra-hook: ${what}: PreToolUse hook '${result.command}'${post} in ${result.settingsFile}\n`,
    stderr: '',
    exitCode: 0,
  };
}

async function init(args: readonly string[]): Promise<HookAnswer> {
  const { values, positionals } = parseArgs({
    args: [...args],
    options: INIT_OPTIONS,
    allowPositionals: true,
    strict: true,
  });
  if (positionals.length !== 1 || positionals[0] !== 'claude-code') {
    throw new UsageError('init takes one agent: claude-code');
  }
  const { initClaudeCode, removeClaudeCodeInit } = await import('./claude-code-init.js');
  const options = values.dir ? { projectDir: values.dir } : {};
  if (values.remove) {
    const changed = await removeClaudeCodeInit(options);
    return {
      stdout: `cavra-hook: ${changed ? 'removed the CAVRA hooks from' : 'no CAVRA hooks in'} .claude/settings.json; .cavra/ is kept (it holds the evidence log)\n`,
      stderr: '',
      exitCode: 0,
    };
  }
  const result = await initClaudeCode(options);
  const lines = [
    ...result.written.map((file) => `cavra-hook: wrote ${file}`),
    ...result.kept.map((file) => `cavra-hook: kept ${file} (already there)`),
    `cavra-hook: ${result.settingsChanged ? 'wrote' : 'already there'}: ${listed(result.hooks.map((hook) => hook.event))} hooks in ${result.settingsFile}`,
    '',
    'Start the daemon now, from the project directory (Claude Code also starts it when a session starts):',
    `  ${result.startCommand}`,
    'Until it answers, every tool call Claude Code makes is denied.',
  ];
  return { stdout: `${lines.join('\n')}\n`, stderr: '', exitCode: 0 };
}

/** `a, b and c`. */
function listed(words: readonly string[]): string {
  return words.length < 2 ? words.join('') : `${words.slice(0, -1).join(', ')} and ${words.at(-1)}`;
}

function positive(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isSafeInteger(number) || number <= 0)
    throw new UsageError(`${name} must be a positive integer`);
  return number;
}
