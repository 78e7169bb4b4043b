// `@cavra/daemon-client/thin`: the v1 evaluate alone, for a process that asks once and exits (the agents' hooks).
// It loads neither protobufjs, the contract's generated classes, @cavra/auth nor jose.
export type { CallOptions } from './call-deadline.js';
export type { DaemonClientOptions, DaemonProtocol } from './client-settings.js';
export {
  DaemonClientError,
  type DaemonClientErrorCode,
  type DaemonIssue,
} from './daemon-client-error.js';
export { defaultSocketPath } from './default-socket-path.js';
export {
  createThinClient,
  type ThinClient,
  type ThinClientOptions,
} from './thin-client.js';
export type { EvaluateOptions } from './v1-calls.js';
