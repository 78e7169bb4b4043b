export {
  type AgentAction,
  type AgentContext,
  evaluateRequest,
  UNMAPPED_TOOL_ACTION,
} from './agent-request.js';
export {
  type AgentSdkOptions,
  type CanUseToolOptions,
  type CavraCanUseTool,
  type CavraHookCallback,
  type CavraPermissionResult,
  type CavraPreToolUseOutput,
  cavraCanUseTool,
  cavraPreToolUseHook,
  type PreToolUseInput,
} from './agent-sdk.js';
export {
  type Authority,
  type DaemonAuthorityOptions,
  daemonAuthority,
  type EngineAuthorityOptions,
  engineAuthority,
} from './authority.js';
export { CLAUDE_CODE_PASS_THROUGH_TOOLS, claudeCode, claudeCodeActions } from './claude-code.js';
export {
  type ClaudeCodeInstallOptions,
  ClaudeCodeSettingsError,
  claudeCodeSettingsFile,
  defaultHookCommand,
  type InstallResult,
  installClaudeCodeHook,
  type SettingsScope,
  uninstallClaudeCodeHook,
} from './claude-code-settings.js';
export { commandActions } from './command-actions.js';
export { type Confinement, confinedCommand, confineVerdict, loadConfinement } from './confine.js';
export { ConfinementError, type ConfinementErrorCode } from './confinement-error.js';
export { cursor } from './cursor.js';
export { geminiCli, geminiCliActions } from './gemini-cli.js';
export { type GitPush, gitPushes } from './git-push.js';
export type { HookAnswer, HookCall, HookFormat, ShellCommandCall } from './hook-format.js';
export {
  type McpGateway,
  type McpGatewayOptions,
  type McpGatewayProcessOptions,
  startMcpGateway,
  startStdioMcpGateway,
} from './mcp-gateway.js';
export { type NoDecisionCode, NoDecisionError } from './no-decision-error.js';
export { DEFAULT_MAX_PAYLOAD_BYTES, type RunHookOptions, runHook } from './run-hook.js';
export {
  deniedWithoutDecision,
  type HookVerdict,
  judgeActions,
  type Permission,
  stricterDecision,
  verdictOf,
} from './verdict.js';
