/**
 * What CAVRA protects in every pack, shipped or written: the files that decide whether CAVRA runs at all (agent
 * hook settings, the daemon's config, packs, keys, the evidence log) and the files a shell or git runs on its own
 * later (startup files, global git config, a user's bin folder). An agent that could write them could switch the
 * guard off, or run code outside it, at the next start. Applied when a pack is resolved (resolvePolicyPack), after
 * its own lists; a pack gives one up only by naming the exact pattern in `filesystem.unprotect`, which the resolved
 * pack records in `metadata.loosens` (so the digest, `cavra policy diff` and the daemon's start log show it).
 * Patterns are filesystem globs matched at any depth of a path (`**\/.bashrc` catches `~/.bashrc`).
 */
export const PROTECTED_PATHS: {
  /** Writes need approval (`filesystem.require_approval_write`). */
  readonly write: readonly string[];
  /** Reads are blocked (`filesystem.block_read`). */
  readonly read: readonly string[];
} = {
  write: [
    // Claude Code settings, hooks, commands, agents and skills: project and user scope
    // (code.claude.com/docs/en/settings, /hooks).
    '**/.claude/**',
    // Claude Code enterprise managed settings (code.claude.com/docs/en/settings#settings-files).
    '**/managed-settings.json',
    // Cursor hooks, rules and MCP servers (cursor.com/docs/agent/hooks, /context/mcp).
    '**/.cursor/**',
    // Gemini CLI settings (its hooks and MCP servers) and commands (github.com/google-gemini/gemini-cli
    // docs/cli/configuration.md).
    '**/.gemini/**',
    // MCP server definitions: Claude Code project scope and VS Code (code.visualstudio.com/docs/copilot/chat/mcp-servers).
    '**/.mcp.json',
    '**/.vscode/mcp.json',
    '**/.vscode/settings.json',
    // The daemon's config, state folder and evidence log (packages/daemon README).
    '**/cavra-daemon.yaml',
    '**/cavra-daemon.yml',
    '**/.cavra/**',
    '**/evidence.jsonl',
    // Packs, their signatures and signing keys (packages/runtime README, Digest and signatures).
    '**/cavra-*.yaml',
    '**/cavra-*.yml',
    '**/*.sig.json',
    '**/*.pem',
    '**/*.key',
    // Shell startup files, run by every new shell (bash(1) INVOCATION, zsh(1) STARTUP/SHUTDOWN FILES).
    '**/.bashrc',
    '**/.bash_profile',
    '**/.bash_login',
    '**/.bash_logout',
    '**/.profile',
    '**/.zshrc',
    '**/.zshenv',
    '**/.zprofile',
    '**/.zlogin',
    '**/.config/fish/**',
    // Programs found first on PATH in a user's home (systemd file-hierarchy(7): ~/.local/bin).
    '**/.local/bin/**',
    // Global git config: aliases, hooksPath, credential helpers and diff drivers run commands (git-config(1) FILES).
    '**/.gitconfig',
    '**/.config/git/**',
    // Git hooks and repository config run commands on commit, checkout and fetch (githooks(5), git-config(1)).
    '**/.git/hooks/**',
    '**/.git/config',
    // Who must review a change (docs.github.com: About code owners).
    '**/CODEOWNERS',
  ],
  read: [
    // A process's environment: the daemon's evidence key may be there (proc(5) /proc/pid/environ).
    '/proc/*/environ',
    '**/proc/*/environ',
  ],
};

/** Every protected pattern, reads and writes. */
export const PROTECTED_PATTERNS: ReadonlySet<string> = new Set([
  ...PROTECTED_PATHS.write,
  ...PROTECTED_PATHS.read,
]);
