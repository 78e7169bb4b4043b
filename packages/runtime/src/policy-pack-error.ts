import { shareInstanceof } from '@cavra/contracts';
import { issueText } from './schema-issues.js';

/** Why a policy pack was refused. Stable codes; `issues` name every offending path. */
export type PolicyPackErrorCode =
  | 'invalid_pack'
  | 'unknown_parent'
  | 'loosens_parent'
  | 'shadows_shipped_pack'
  | 'unsigned'
  | 'bad_signature'
  | 'untrusted_key'
  | 'io';

/** One problem in a pack. */
export interface PolicyPackIssue {
  /** JSON-pointer-like path into the pack, e.g. `/commands/allow/2`; empty for the whole pack. */
  readonly path: string;
  readonly message: string;
  /** Where the path is in the pack's text (1-based), for a pack read from YAML or JSON text. */
  readonly line?: number;
  /** The column (1-based) of `line`. */
  readonly column?: number;
}

/** A pack that cannot be loaded, compiled or trusted; the message lists every issue. */
export class PolicyPackError extends Error {
  readonly code: PolicyPackErrorCode;
  readonly issues: readonly PolicyPackIssue[];
  /** The pack's name in the message, e.g. its file path. */
  readonly source: string;

  constructor(code: PolicyPackErrorCode, source: string, issues: readonly PolicyPackIssue[]) {
    const detail = issues.map(issueText).join('; ');
    super(`policy pack ${source}: ${code}: ${detail}`);
    this.name = 'PolicyPackError';
    this.code = code;
    this.issues = issues;
    this.source = source;
  }
}
shareInstanceof(PolicyPackError, '@cavra/runtime.PolicyPackError');
