export type { ActionEvaluator, EvaluationContext, RuleOutcome } from './action-evaluator.js';
export { canonicalPolicyPackJson, policyPackDigest } from './canonical-policy-pack.js';
export { normalizeCommand } from './command-pattern.js';
export {
  type CompiledPolicyPack,
  type CompilePolicyPackOptions,
  compilePolicyPack,
  type PolicyPackMatchers,
} from './compile-policy-pack.js';
export { COMPILED_PACK_FORMAT, parseCompiledPackJson, toCompiledPackJson } from './compiled-pack-json.js';
export { type IdKind, newId } from './decision-ids.js';
export {
  createEngine,
  type Engine,
  type EngineOptions,
  type EvaluateOptions,
  POLICY_PACK_ACTION_TYPES,
  REQUEST_METADATA_DEFAULTS,
} from './engine.js';
export { evaluateWhenReady } from './evaluate-when-ready.js';
export { EvaluationError, type EvaluationErrorCode } from './evaluation-error.js';
export {
  createDecisionExplainer,
  type DecisionExplainer,
  type DecisionExplanation,
  patternLists,
  type RuleTrial,
} from './explain-decision.js';
export { issuePositions } from './issue-positions.js';
export {
  type LoadPolicyPackOptions,
  loadBaselinePack,
  loadDeveloperPack,
  loadPolicyPack,
  loadPolicyPackFile,
} from './load-policy-pack.js';
export {
  loadMcpTrustRegistryFile,
  MAX_MCP_REGISTRY_BYTES,
  McpRegistryError,
  type McpServerRecord,
  type McpTrustRegistry,
  parseMcpTrustRegistry,
} from './mcp-registry.js';
export { evaluateNetworkRequest, NETWORK_REQUEST_ACTION_TYPE } from './network-rules.js';
export {
  createPolicySignature,
  MAX_POLICY_SIGNATURE_BYTES,
  POLICY_SIGNATURE_SCHEMA,
  type PolicySignature,
  parsePolicySignature,
  policySignaturePath,
  type SignPolicyOptions,
  signPolicyFile,
  type VerifiedPolicySignature,
  verifyPolicyBytes,
  verifyPolicyFile,
  verifyPolicySignature,
} from './pack-signature.js';
export { MAX_POLICY_PACK_BYTES, type ParsePolicyPackOptions, parsePolicyPack } from './parse-policy-pack.js';
export { normalizePath, upstreamPatternMatcher } from './path-pattern.js';
export {
  INFORMATIONAL_PACK_KEYS,
  type NetworkSection,
  type PolicyPackDocument,
  type ResolvedPolicyPack,
  type SandboxSection,
} from './policy-pack-document.js';
export { PolicyPackError, type PolicyPackErrorCode, type PolicyPackIssue } from './policy-pack-error.js';
export {
  generatePolicySigningKeyPair,
  loadPolicySigningKey,
  loadTrustedPolicyKeys,
  PolicySigningKeyError,
  type PolicySigningKeyPair,
  policyKeySha256,
  type TrustedPolicyKey,
  trustedPolicyKey,
} from './policy-signing-key.js';
export { PROTECTED_PATHS } from './protected-paths.js';
export { APPROVER_GROUPS, RULES, type RuleId, ruleOutcome } from './rule-outcome.js';
export { type DecisionStamp, toRuntimeDecision } from './runtime-decision.js';
export {
  applyMode,
  type ModeSettings,
  RUNTIME_MODES,
  type RuntimeMode,
} from './runtime-mode.js';
export {
  type SandboxPathRule,
  type SandboxSettings,
  type SandboxSettingsInput,
  sandboxPathRule,
  sandboxSettings,
} from './sandbox-settings.js';
export { issueText, type SchemaIssue, schemaIssues } from './schema-issues.js';
export {
  isShellParserLoaded,
  joinLineContinuations,
  loadShellParser,
  type ParsedCommand,
  parseCommand,
  type SimpleCommand,
} from './shell-parser.js';
export { ShellParserNotLoadedError } from './shell-parser-not-loaded.js';
export {
  BASELINE_PACK_ID,
  BUILTIN_POLICY_DIR,
  DEVELOPER_PACK_ID,
  isShippedPackId,
  SHIPPED_PACK_IDS,
} from './shipped-packs.js';
