export { CONSOLE_ERRORS, ConsoleError, type ConsoleErrorCode } from './console-error.js';
export type {
  ApprovalSource,
  ConsoleApprover,
  ConsoleOptions,
  ReplayChange,
  ReplayOutcome,
  ReviewToSign,
  RunningConsole,
} from './console-options.js';
export { consoleOptionsFromDaemonConfig } from './daemon-config-targets.js';
export type { EvidenceSummary } from './evidence-summary.js';
export { startConsole } from './start-console.js';
