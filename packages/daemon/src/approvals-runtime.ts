/**
 * Everything a daemon with an `approvals:` section runs, in one module that the daemon imports only then: a daemon
 * without the section loads neither it nor `@cavra/approvals` (nor jose), so its start costs what it did.
 */
export { answerWithApproval } from './approval-desk.js';
export { changeEvents, createApprovalService } from './approval-service.js';
export { loadReviewVerification } from './approval-verification.js';
export { openLocalApprovalStore } from './local-approval-store.js';
