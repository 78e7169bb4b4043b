export {
  type CallOptions,
  createClient,
  type DaemonClient,
  type DaemonClientOptions,
  type EvaluateOptions,
} from './daemon-client.js';
export { DaemonClientError, type DaemonClientErrorCode, type DaemonIssue } from './daemon-client-error.js';
export type { HealthReport } from './health-report.js';
export { type RunnerAuthSettings, withRunnerAuth } from './runner-auth.js';
export { parseWireJson, WireJsonError, type WireJsonProblem } from './wire-json.js';
