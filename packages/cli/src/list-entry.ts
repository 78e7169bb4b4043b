// Rule ids name the kind of rule (upstream's); the pack list entry that decided ends the reason, when one did:
// `… (commands.allow[0])` or `… (pattern '…', filesystem.require_approval_write[3])`.
const LIST_ENTRY = /[(, ]([a-z_.]+\[\d+\])\)$/;

/** The list entry (`commands.allow[0]`) a decision's reason names, or '' when no pattern decided. */
export function listEntry(reason: string): string {
  return LIST_ENTRY.exec(reason)?.[1] ?? '';
}
