export { CliError, EXIT } from './cli-error.js';
export { type DecisionChange, decisionChanges, diffPolicyPacks, type RuleChange } from './diff-packs.js';
export { type LintFinding, lintPolicyPack } from './lint-pack.js';
export {
  type ExpectedDecision,
  findTestFiles,
  type PolicyTestFileResult,
  type PolicyTestResult,
  runPolicyTestFile,
} from './policy-tests.js';
export { type ReplayedDecision, type ReplayReport, replayEvidence } from './replay-evidence.js';
export { requestFrom } from './request-input.js';
export { CLI_VERSION } from './version.js';
