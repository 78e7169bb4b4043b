import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { quote } from 'shell-quote';
import {
  type ClaudeCodeHookEntry,
  claudeCodeSettingsFile,
  postToolUseCommand,
  removeClaudeCodeHooks,
  writeAtomic,
  writeClaudeCodeHooks,
} from './claude-code-settings.js';

/** The shipped profile the starter pack extends (`metadata.extends`): everyday repository work allowed unasked. */
export const STARTER_PACK_PARENT = 'cavra-developer';

/** The starter pack's id, which the daemon config makes its default. */
export const STARTER_PACK_ID = 'team';

/** Where `init` puts the project's CAVRA files, relative to the project. */
export const CAVRA_DIR = '.cavra';

export interface ClaudeCodeInitOptions {
  /** The project directory; default the working directory. */
  readonly projectDir?: string;
}

export interface ClaudeCodeInitResult {
  readonly settingsFile: string;
  readonly daemonConfig: string;
  readonly pack: string;
  /** The files written; a file already there is kept as it is. */
  readonly written: readonly string[];
  readonly kept: readonly string[];
  /** Whether the settings file changed. */
  readonly settingsChanged: boolean;
  /** The hooks now in the settings. */
  readonly hooks: readonly ClaudeCodeHookEntry[];
  /** The command that starts the daemon, run from the project directory. */
  readonly startCommand: string;
}

const PROJECT = '"$CLAUDE_PROJECT_DIR"';
const CONFIG = `${CAVRA_DIR}/cavra-daemon.yaml`;
const SOCKET = `${CAVRA_DIR}/daemon.sock`;
const PACK = `${CAVRA_DIR}/${STARTER_PACK_ID}-pack.yaml`;

/**
 * Where the hook finds the daemon: what the daemon config says. The hook names no pack: the daemon answers with its
 * `default_pack`, so the config alone says which pack decides.
 */
export interface DaemonTarget {
  /** The socket, relative to the project (or absolute when outside it); absent: the daemon's default socket. */
  readonly socket?: string;
}

/**
 * The hooks `init` writes: every tool call judged by the project's daemon, the asked calls that ran recorded by it,
 * and the daemon started with a session.
 */
export function claudeCodeInitHooks(target: DaemonTarget = { socket: SOCKET }): ClaudeCodeHookEntry[] {
  const bin = (name: string) => `${PROJECT}/node_modules/.bin/${name}`;
  const config = `${PROJECT}/${CONFIG}`;
  const socket =
    target.socket === undefined
      ? ''
      : ` --socket ${isAbsolute(target.socket) ? quote([target.socket]) : `${PROJECT}/${quote([target.socket])}`}`;
  const preToolUse = `${bin('cavra-hook')} claude-code${socket} --daemon-config ${config}`;
  return [
    { event: 'PreToolUse', matcher: '*', command: preToolUse },
    { event: 'PostToolUse', matcher: '*', command: postToolUseCommand(preToolUse) as string },
    {
      event: 'SessionStart',
      // `status` answers 0 when the daemon runs; `start` waits until it answers, or fails (the tool calls are then
      // denied). Its stdout would become Claude's context: it goes to stderr.
      command: `${bin('cavra-daemon')} status --config ${config} >/dev/null 2>&1 || ${bin('cavra-daemon')} start --config ${config} 1>&2`,
    },
  ];
}

const FILES: Readonly<Record<string, string>> = {
  [CONFIG]: `# The CAVRA daemon of this project (written by \`cavra-hook init claude-code\`). Paths are relative to this file.
# Start it from the project: npx cavra-daemon start --config ${CONFIG}
# (Claude Code's SessionStart hook in .claude/settings.json starts it too). While no daemon answers, every tool
# call Claude Code makes is denied.
socket_path: daemon.sock
evidence_log: evidence.jsonl
policy_packs: [${STARTER_PACK_ID}-pack.yaml]
default_pack: ${STARTER_PACK_ID}
# Approvals, off until a person is listed to give them: uncomment the section below, and each require_approval
# decision becomes an approval request the daemon keeps (evidence.jsonl.approvals). Claude Code still asks you at the
# keyboard, naming the request, and the PostToolUse hook records whether the asked call ran; a person of the request's
# approver group may approve it from a shell instead, and the agent's retry passes:
#   npx cavra approval keygen --out ~/.cavra/me.pem --as me@example.com   (prints the approvers entry)
#   npx cavra approval approve <id> --key ~/.cavra/me.pem --as me@example.com
# Then restart the daemon. The @cavra/agent-hooks README (Approvals) says what each agent does.
# approvals:
#   self_approval_at_keyboard: true
#   groups:
#     Repository Owners:
#       approvers:
#         - { id: me@example.com, public_key: /home/me/.cavra/me.pem.pub.pem }
`,
  [PACK]: `# This project's CAVRA policy pack (written by \`cavra-hook init claude-code\`), the daemon's default pack.
# It extends the shipped developer profile (${STARTER_PACK_PARENT}): reading, editing, building, testing, linting,
# git's local work and pushes to unprotected branches pass unasked; installs of new packages, downloaded tools,
# interpreters fed code, writes and deletes outside the working tree (or of the tree itself) are asked; secrets,
# pushes to main and network tools are blocked.
# Tighten it with block and approval patterns, e.g.
#   filesystem: { block_read: ["secrets/**"] }
#   commands: { block: ["terraform destroy*"], require_approval: ["docker push*"] }
# or add allows your team wants silent, e.g.
#   commands: { allow: ["make test", "docker compose up *"] }
#   network: { allow_domains: [docs.example.com] }
# Each allow the profile lacks is a loosening: \`npx cavra policy diff ${STARTER_PACK_PARENT} .cavra/${STARTER_PACK_ID}-pack.yaml\`
# lists it, it is recorded in the resolved pack (metadata.loosens) and so in the pack digest each decision carries,
# and the daemon logs it when it loads the pack. Writes to the files that switch CAVRA off (.cavra/**, .claude/**,
# git hooks, ...) stay asked unless this pack names them in filesystem.unprotect, itself a recorded loosening.
metadata:
  id: ${STARTER_PACK_ID}
  version: 0.1.0
  extends: ${STARTER_PACK_PARENT}
`,
  [`${CAVRA_DIR}/.gitignore`]: `# The daemon's runtime files (socket, pid, log, evidence) stay out of git; its config and the pack are the project's.
*
!.gitignore
!cavra-daemon.yaml
!${STARTER_PACK_ID}-pack.yaml
`,
};

/**
 * `cavra-hook init claude-code`: the project's daemon config and starter pack under `.cavra/` (each only when
 * absent), and the hooks in `.claude/settings.json` (claudeCodeInitHooks, with the socket the config names),
 * replacing ours in place. Idempotent.
 */
export async function initClaudeCode(options: ClaudeCodeInitOptions = {}): Promise<ClaudeCodeInitResult> {
  const dir = options.projectDir ?? process.cwd();
  const written: string[] = [];
  const kept: string[] = [];
  for (const [name, text] of Object.entries(FILES)) {
    const file = join(dir, name);
    if (await exists(file)) {
      kept.push(file);
    } else {
      await writeAtomic(file, text, 0o644);
      written.push(file);
    }
  }
  const settingsFile = claudeCodeSettingsFile({ scope: 'project', projectDir: dir });
  const hooks = claudeCodeInitHooks(await daemonTarget(dir));
  return {
    settingsFile,
    daemonConfig: join(dir, CONFIG),
    pack: join(dir, PACK),
    written,
    kept,
    settingsChanged: await writeClaudeCodeHooks(settingsFile, hooks),
    hooks,
    startCommand: `npx cavra-daemon start --config ${CONFIG}`,
  };
}

/**
 * `cavra-hook init claude-code --remove`: takes our hooks out of the settings (restoring the file byte for byte
 * when nothing else changed since); `.cavra/` stays, with the evidence log. Returns whether the settings changed.
 */
export async function removeClaudeCodeInit(options: ClaudeCodeInitOptions = {}): Promise<boolean> {
  return removeClaudeCodeHooks(
    claudeCodeSettingsFile({ scope: 'project', projectDir: options.projectDir ?? process.cwd() }),
  );
}

/**
 * The socket of the project's daemon config (init's own, or one the team changed since), so that the hook asks the
 * daemon the config starts. Throws for a config that is not YAML.
 */
async function daemonTarget(dir: string): Promise<DaemonTarget> {
  const file = join(dir, CONFIG);
  // Loaded here, not with the hook: every tool call starts the hook, init runs once.
  const { parse } = await import('yaml');
  const config: unknown = parse(await readFile(file, 'utf8'));
  const raw = (config !== null && typeof config === 'object' ? config : {}) as Record<string, unknown>;
  const socket =
    typeof raw.socket_path === 'string' && raw.socket_path !== ''
      ? resolve(dirname(file), raw.socket_path)
      : undefined;
  const inProject = socket === undefined ? undefined : relative(dir, socket);
  if (socket === undefined || inProject === undefined) return {};
  return {
    socket: inProject === '..' || inProject.startsWith('../') || isAbsolute(inProject) ? socket : inProject,
  };
}

async function exists(file: string): Promise<boolean> {
  return readFile(file).then(
    () => true,
    (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return false;
      throw error;
    },
  );
}
