import { type ContractIssue, printableKey } from './contract-issue.js';
import type { ContractLimits } from './limits.js';
import { normalizeStatus } from './release-governance-status.js';

/** The JSON key of upstream's nested approval: `approval: { state, approval_id }` beside the proto fields. */
export const NESTED_APPROVAL = 'approval';
const NESTED_FIELDS = { state: 'approval_state', approval_id: 'approval_id' } as const;

interface IssueSink {
  readonly strict: boolean;
  readonly errors: ContractIssue[];
  readonly warnings: ContractIssue[];
  readonly limits: ContractLimits;
}

const same = (field: string, a: string, b: string) =>
  field === 'approval_state' ? normalizeStatus(a) === normalizeStatus(b) : a.trim() === b.trim();

/**
 * Folds upstream's nested `approval` object into approval_state and approval_id, as upstream reads it: a
 * top-level value that is not blank wins, and the nested one fills a blank. A nested value that disagrees with
 * the top-level one is an `approval_conflict` (an error in strict mode, else a warning); a key other than `state`
 * and `approval_id` is an unknown field. The values themselves are checked with the fields they fill.
 */
export function foldNestedApproval(
  input: Record<string, unknown>,
  out: Record<string, unknown>,
  path: string,
  sink: IssueSink,
): void {
  const nested = input[NESTED_APPROVAL];
  if (nested === undefined || nested === null) return;
  const at = (key: string) => (path ? `${path}.${key}` : key);
  const here = at(NESTED_APPROVAL);
  if (typeof nested !== 'object' || Array.isArray(nested)) {
    sink.errors.push({
      path: here,
      code: 'wrong_type',
      message: 'expected an object { state, approval_id }',
    });
    return;
  }
  for (const [key, value] of Object.entries(nested as Record<string, unknown>)) {
    const field = NESTED_FIELDS[key as keyof typeof NESTED_FIELDS];
    const keyPath = `${here}.${printableKey(key)}`;
    if (!field) {
      const issue: ContractIssue = {
        path: keyPath,
        code: 'unknown_field',
        message: `approval has no field "${printableKey(key)}"`,
      };
      (sink.strict ? sink.errors : sink.warnings).push(issue);
      continue;
    }
    if (value === undefined || value === null) continue;
    if (typeof value !== 'string') {
      sink.errors.push({ path: keyPath, code: 'wrong_type', message: 'expected a string' });
      continue;
    }
    const bytes = Buffer.byteLength(value, 'utf8');
    if (bytes > sink.limits.maxStringBytes) {
      sink.errors.push({
        path: keyPath,
        code: 'string_too_long',
        message: `is ${bytes} bytes; the limit is ${sink.limits.maxStringBytes}`,
      });
      continue;
    }
    const current = typeof out[field] === 'string' ? (out[field] as string) : '';
    if (current.trim() === '') {
      if (value.trim() !== '') out[field] = value;
    } else if (value.trim() !== '' && !same(field, current, value)) {
      const issue: ContractIssue = {
        path: keyPath,
        code: 'approval_conflict',
        message: `${JSON.stringify(value)} disagrees with ${field} ${JSON.stringify(current)}; ${field} wins`,
      };
      (sink.strict ? sink.errors : sink.warnings).push(issue);
    }
  }
}
