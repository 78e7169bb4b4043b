export {
  type ApproverKeyReport,
  approverKeygen,
  type DaemonResult,
  listApprovalRequests,
  reviewApprovalRequest,
  showApprovalRequest,
} from './approval-commands.js';
export { CliError, DECISION_EXIT, EXIT } from './cli-error.js';
export { type DecisionChange, decisionChanges, diffPolicyPacks, type RuleChange } from './diff-packs.js';
export {
  type AcknowledgedFinding,
  type AcknowledgedLint,
  acknowledgeFindings,
  type LintAcknowledgement,
  type UnusedAcknowledgement,
} from './lint-acknowledgements.js';
export { type LintFinding, lintPolicyPack } from './lint-pack.js';
export { packFile, shippedPackIds } from './pack-reference.js';
export {
  type ExpectedDecision,
  findTestFiles,
  type PolicyTestFileResult,
  type PolicyTestResult,
  runPolicyTestFile,
} from './policy-tests.js';
export {
  APPROVAL_SCHEMA,
  approvalJson,
  approvalListJson,
  approvalListText,
  approvalText,
  approverKeyJson,
  approverKeyText,
  daemonFailureJson,
} from './render-approval.js';
export {
  diffJson,
  evalJson,
  type Json,
  lintJson,
  replayJson,
  testJson,
} from './render-json.js';
export { testJunit, xmlText } from './render-junit.js';
export { diffText, evalText, lintText, replayText, testText } from './render-text.js';
export { type ReplayedDecision, type ReplayReport, replayEvidence } from './replay-evidence.js';
export {
  type DiffReport,
  diffPacks,
  type EvalReport,
  evaluateRequest,
  type LintReport,
  lintPacks,
  lintPassed,
  type PackSummary,
  type ReplayRun,
  replayPack,
  runPolicyTests,
  shownTrials,
  type TestReport,
} from './reports.js';
export { requestFrom } from './request-input.js';
export { type ReviewSigner, signedReview } from './review-signing.js';
export { KEYPAIR_SCHEMA, type KeyPairMetadata, keyMetadataPath } from './signing-key-metadata.js';
export { CLI_VERSION } from './version.js';
