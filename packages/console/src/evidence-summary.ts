/** One row of the evidence list: what a person scans a day of agent activity by. */
export interface EvidenceSummary {
  readonly seq: number;
  readonly time: string;
  /** `decision`: the daemon decided a request; `event`: something else it recorded (an approval's review, a bundle). */
  readonly kind: 'decision' | 'event';
  readonly session: string;
  readonly agent: string;
  readonly actor: string;
  /** The request's action type, or the event's type. */
  readonly action: string;
  readonly target: string;
  /** The decision (`allow`, `block`, ...); '' for an event. */
  readonly decision: string;
  readonly rule: string;
}

const text = (value: unknown): string => (typeof value === 'string' ? value : '');

/** The summary of a log line, or undefined when it is not a record (not JSON, no seq): the chain check says why. */
export function summarize(line: string): EvidenceSummary | undefined {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof record !== 'object' || record === null || typeof record.seq !== 'number') return undefined;
  const base = { seq: record.seq, time: text(record.recorded_at) };
  const decision = record.decision as Record<string, unknown> | undefined;
  if (decision && typeof decision === 'object') {
    return {
      ...base,
      kind: 'decision',
      session: text(decision.session_id),
      agent: text(decision.agent_id),
      actor: text(decision.actor),
      action: text(decision.action_type),
      target: text(decision.target),
      decision: text(decision.decision),
      rule: text(decision.rule_id),
    };
  }
  // An event: an approval's own request names who asked for what; other events (a bundle, a refusal) name less.
  const event = (record.event ?? {}) as Record<string, unknown>;
  const request = (event.request ?? {}) as Record<string, unknown>;
  const requester = (request.requester ?? {}) as Record<string, unknown>;
  const action = (request.action ?? {}) as Record<string, unknown>;
  return {
    ...base,
    kind: 'event',
    session: text(requester.session_id),
    agent: text(requester.agent_id),
    actor: text(requester.actor),
    action: text(event.type),
    target: text(action.target),
    decision: '',
    rule: text(action.rule_id),
  };
}
