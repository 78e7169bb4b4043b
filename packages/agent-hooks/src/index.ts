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
  type CavraPostToolUseCallback,
  type CavraPreToolUseOutput,
  cavraCanUseTool,
  cavraPostToolUseHook,
  cavraPreToolUseHook,
  type PostToolUseInput,
  type PreToolUseInput,
} from './agent-sdk.js';
export {
  APPROVAL_PENDING_RULE,
  APPROVAL_REF_PREFIX,
  approvalRequestId,
  approveCommand,
  withApprovalHint,
} from './approval-request.js';
export {
  type AskedCall,
  type AskedCallKey,
  type AskedCalls,
  askedCallsIn,
  defaultStateDir,
  MAX_AGE_MS,
  MAX_ENTRIES,
  rememberAsk,
} from './asked-calls.js';
export {
  type ActionOutcome,
  type Authority,
  type DaemonAuthorityOptions,
  daemonAuthority,
  type EngineAuthorityOptions,
  engineAuthority,
} from './authority.js';
export {
  CLAUDE_CODE_PASS_THROUGH_TOOLS,
  claudeCode,
  claudeCodeActions,
  NETWORK_REQUEST_ACTION,
} from './claude-code.js';
export {
  CAVRA_DIR,
  type ClaudeCodeInitOptions,
  type ClaudeCodeInitResult,
  claudeCodeInitHooks,
  type DaemonTarget,
  initClaudeCode,
  removeClaudeCodeInit,
  STARTER_PACK_ID,
  STARTER_PACK_PARENT,
} from './claude-code-init.js';
export { type PostToolUseOptions, reportAskedCallRan } from './claude-code-post-tool-use.js';
export {
  type ClaudeCodeHookEntry,
  type ClaudeCodeInstallOptions,
  ClaudeCodeSettingsError,
  claudeCodeSettingsFile,
  defaultHookCommand,
  type InstallResult,
  installClaudeCodeHook,
  postToolUseCommand,
  removeClaudeCodeHooks,
  type SettingsScope,
  uninstallClaudeCodeHook,
  writeClaudeCodeHooks,
} from './claude-code-settings.js';
export { CLAUDE_CODE_PASS_THROUGH, type PassThroughTool } from './claude-code-tools.js';
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
export { MCP_CLIENT_METHODS, type McpMethodKind } from './mcp-methods.js';
export { type NoDecisionCode, NoDecisionError } from './no-decision-error.js';
export { DEFAULT_MAX_PAYLOAD_BYTES, type RunHookOptions, runHook } from './run-hook.js';
export { OUTSIDE_DIRECTORY_ACTION } from './searched-paths.js';
export {
  askDenied,
  deniedWithoutDecision,
  type HookVerdict,
  judgeActions,
  type Permission,
  RETRY_AFTER_APPROVAL,
  stricterDecision,
  verdictOf,
} from './verdict.js';
