import { readFile, realpath } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { extname } from 'node:path';
import type { CompiledPolicyPack, SandboxSection, SandboxSettings } from '@cavra/runtime';
import { quote } from 'shell-quote';
import { ConfinementError } from './confinement-error.js';
import type { HookFormat, ShellCommandCall } from './hook-format.js';
import { protectedPaths } from './protected-paths.js';
import type { HookVerdict } from './verdict.js';

/** Running allowed commands inside `@anthropic-ai/sandbox-runtime` (`srt`) under a pack's rules. */
export interface Confinement {
  /** The pack whose filesystem rules the sandbox enforces. */
  readonly pack: Pick<CompiledPolicyPack, 'matchers' | 'resolved'>;
  /** Its `sandbox` section (network, extra writable paths). */
  readonly sandbox: SandboxSection;
  /** The tree confined commands may write; default: the tool call's working directory. */
  readonly workingTree?: string;
  /**
   * Run commands through the warm runner (cavra-sandbox, the sandbox library kept initialised in a long-lived
   * process) instead of starting srt per command; default false.
   */
  readonly warm?: boolean;
}

/**
 * The confinement a pack file asks for: the pack (with its parents) for the filesystem rules and its own `sandbox`
 * section, which must say `confine_commands: true` (ConfinementError `no_sandbox_section` otherwise, so a wrong file
 * is not taken for confinement).
 */
export async function loadConfinement(
  file: string,
  workingTree?: string,
  warm = false,
): Promise<Confinement> {
  const runtime = await import('@cavra/runtime');
  const [pack, text] = await Promise.all([runtime.loadPolicyPackFile(file), readFile(file, 'utf8')]);
  const format = extname(file) === '.json' ? 'json' : 'yaml';
  const { sandbox } = runtime.parsePolicyPack(text, { format, source: file });
  if (sandbox?.confine_commands !== true) {
    throw new ConfinementError(
      'no_sandbox_section',
      `${file} has no sandbox section with confine_commands: true`,
    );
  }
  return { pack, sandbox, warm, ...(workingTree ? { workingTree } : {}) };
}

/** How deep the hook looks for protected paths: the working tree, and the home folder (`~/.ssh`, `~/.aws/...`). */
const TREE_DEPTH = 8;
const HOME_DEPTH = 2;

/** End of the settings document the wrapped command hands srt on its descriptor 3 (never a line of JSON). */
const SETTINGS_END = 'CAVRA_SANDBOX_SETTINGS';

/**
 * The verdict for a shell command under confinement: an allow or ask comes back with the command wrapped in the
 * sandbox as `updatedInput`; a deny stays a deny. Whatever stops the command from running confined (an agent whose
 * hook cannot replace the command, a sandbox that cannot start here) turns the verdict into a deny saying why:
 * confinement configured never means a command runs unconfined.
 */
export async function confineVerdict(
  verdict: HookVerdict,
  command: ShellCommandCall,
  format: Pick<HookFormat, 'agentId' | 'rewritesToolInput'>,
  confinement: Confinement,
): Promise<HookVerdict> {
  if (verdict.permission === 'deny') return verdict;
  try {
    if (!format.rewritesToolInput) {
      throw new ConfinementError(
        'agent_cannot_confine',
        `the ${format.agentId} hook cannot replace the command it runs, so it cannot run it confined`,
      );
    }
    const settings = await settingsFor(command, confinement);
    let wrapped: string;
    if (confinement.warm) {
      const { warmRunnerCommand } = await import('./warm-runner.js');
      wrapped = await warmRunnerCommand(command.text, settings, sandboxAvailable);
    } else {
      await sandboxAvailable();
      wrapped = confinedCommand(command.text, settings);
    }
    return {
      ...verdict,
      reason: `${verdict.reason}; runs confined: ${describe(settings)}`,
      updatedInput: { ...command.toolInput, command: wrapped },
    };
  } catch (error) {
    if (!(error instanceof ConfinementError)) throw error;
    return {
      ...verdict,
      permission: 'deny',
      reason: `CAVRA: confinement unavailable (${error.code}), denied: ${error.message} (${verdict.reason})`,
    };
  }
}

/** The sandbox settings for one command: the pack's rules over what exists now in its working tree and home. */
export async function settingsFor(
  command: Pick<ShellCommandCall, 'cwd'>,
  confinement: Confinement,
): Promise<SandboxSettings> {
  const given = confinement.workingTree ?? command.cwd;
  if (!given) {
    throw new ConfinementError(
      'no_working_tree',
      'the payload has no cwd and the hook was given no working tree',
    );
  }
  const [tree, home, { sandboxPathRule, sandboxSettings }] = await Promise.all([
    canonical(given),
    canonical(homedir()),
    import('@cavra/runtime'),
  ]);
  const rule = (path: string, isDirectory: boolean) => sandboxPathRule(confinement.pack, path, isDirectory);
  const found = await protectedPaths(rule, [
    { path: tree, depth: TREE_DEPTH },
    { path: home, depth: HOME_DEPTH },
  ]);
  return sandboxSettings({
    pack: confinement.pack,
    sandbox: confinement.sandbox,
    workingTree: tree,
    home,
    ...found,
  });
}

/**
 * The command run by srt under `settings`: `<node> <srt> --settings /dev/fd/3 -c '<command>'` with the settings as a
 * here-document on descriptor 3. The settings travel inside the command itself, so there is no file that anything
 * (the confined command included) could change between this answer and the run; srt reads them before it confines.
 */
export function confinedCommand(command: string, settings: SandboxSettings): string {
  const srt = createRequire(import.meta.url).resolve('@anthropic-ai/sandbox-runtime/dist/cli.js');
  const line = quote([process.execPath, srt, '--settings', '/dev/fd/3', '-c', command]);
  return `${line} 3<<'${SETTINGS_END}'\n${JSON.stringify(settings)}\n${SETTINGS_END}`;
}

/** Throws ConfinementError `sandbox_unavailable` naming the install command when the sandbox cannot start here. */
export async function sandboxAvailable(): Promise<void> {
  if (process.platform !== 'linux' && process.platform !== 'darwin') {
    throw new ConfinementError(
      'sandbox_unavailable',
      `confinement runs on Linux (bubblewrap) and macOS (sandbox-exec), not on ${process.platform}`,
    );
  }
  let manager: typeof import('@anthropic-ai/sandbox-runtime').SandboxManager;
  try {
    ({ SandboxManager: manager } = await import('@anthropic-ai/sandbox-runtime'));
  } catch (error) {
    throw new ConfinementError(
      'sandbox_unavailable',
      `@anthropic-ai/sandbox-runtime cannot be loaded (${(error as Error).message}); reinstall it: npm install @cavra/agent-hooks`,
      { cause: error },
    );
  }
  if (!manager.isSupportedPlatform()) {
    throw new ConfinementError('sandbox_unavailable', 'the sandbox does not support this system (WSL 1?)');
  }
  const { errors } = manager.checkDependencies();
  if (errors.length > 0) {
    throw new ConfinementError(
      'sandbox_unavailable',
      `the sandbox cannot start: ${errors.join('; ')}; install: ${INSTALL_HINT[process.platform] ?? ''}`,
    );
  }
}

/** What to install where (the sandbox runtime's README, "How It Works" and "Linux search depth"). */
const INSTALL_HINT: Readonly<Record<string, string>> = {
  linux:
    'sudo apt-get install -y bubblewrap socat ripgrep (Debian, Ubuntu); sudo dnf install -y bubblewrap socat ripgrep (Fedora)',
  darwin: 'sandbox-exec ships with macOS; reinstall @cavra/agent-hooks',
};

async function canonical(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch (error) {
    throw new ConfinementError('no_working_tree', `cannot resolve ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

function describe(settings: SandboxSettings): string {
  const { allowWrite, denyRead, denyWrite } = settings.filesystem;
  const domains = settings.network.allowedDomains;
  return `writes only in ${allowWrite.join(', ')} (${denyWrite.length} protected paths read-only), ${denyRead.length} secret paths hidden, network ${domains.length ? `only to ${domains.join(', ')}` : 'none'}`;
}
