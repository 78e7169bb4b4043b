// The console's page: a sign-in form, then three views (hash routes) drawn from the console's JSON API. Every text
// from the API goes in through textContent (never as HTML): records were written by agents' requests.

type Child = Node | string | null | undefined | false;
type Attributes = Record<string, string | boolean | undefined>;

/** An element with attributes and children (false/undefined attributes and children are left out). */
function h(tag: string, attributes: Attributes = {}, ...children: Child[]): HTMLElement {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue;
    element.setAttribute(name, value === true ? '' : value);
  }
  for (const child of children) if (child) element.append(child);
  return element;
}

const SVG_NS = 'http://www.w3.org/2000/svg';
function svg(tag: string, attributes: Record<string, string | number>, ...children: (Node | string)[]) {
  const element = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  element.append(...children);
  return element;
}

const byId = (id: string) => document.getElementById(id) as HTMLElement;

/** The live region: results and errors are announced there. */
function say(message: string, error = false) {
  const status = byId('status');
  status.textContent = message;
  status.classList.toggle('error', error);
}

class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

let csrfToken = '';

async function api<T>(path: string, body?: unknown): Promise<T> {
  const response = await fetch(path, {
    method: body === undefined ? 'GET' : 'POST',
    credentials: 'same-origin',
    headers: body === undefined ? {} : { 'Content-Type': 'application/json', 'X-CSRF-Token': csrfToken },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const value = await response
    .json()
    .catch(() => ({ error: { code: 'bad_answer', message: 'the console answered no JSON' } }));
  if (!response.ok) {
    const error = (value as { error?: { code?: string; message?: string } }).error;
    throw new ApiError(error?.code ?? 'unknown', error?.message ?? `HTTP ${response.status}`);
  }
  return value as T;
}

interface Me {
  approver: { id: string; groups?: string[] } | null;
  can_sign: boolean;
  csrf_token: string;
  views: { approvals: boolean; evidence: boolean; replay: boolean; fleet: boolean };
}
let me: Me | undefined;

// ---- sign in --------------------------------------------------------------------------------------------------

async function signIn(token: string): Promise<boolean> {
  try {
    await api('/api/session', { token });
  } catch (error) {
    say(`Sign-in failed: ${(error as Error).message}`, true);
    return false;
  }
  return loadMe();
}

async function loadMe(): Promise<boolean> {
  try {
    me = await api<Me>('/api/me');
  } catch {
    return false;
  }
  csrfToken = me.csrf_token;
  byId('sign-in').hidden = true;
  (document.querySelector('nav') as HTMLElement).hidden = false;
  byId('who').textContent = me.approver
    ? `Signed in; reviews are signed as ${me.approver.id}${me.approver.groups?.length ? ` (${me.approver.groups.join(', ')})` : ''}`
    : 'Signed in; no approver identity configured (read only)';
  return true;
}

function showSignIn() {
  me = undefined;
  byId('view').replaceChildren();
  byId('sign-in').hidden = false;
  (document.querySelector('nav') as HTMLElement).hidden = true;
  byId('login-token').focus();
}

byId('sign-in-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const input = byId('login-token') as HTMLInputElement;
  if (await signIn(input.value.trim())) {
    input.value = '';
    say('Signed in.');
    await route();
  }
});

// ---- approvals ------------------------------------------------------------------------------------------------

interface Review {
  reviewer: string;
  verdict: string;
  scope?: string;
  reason?: string;
}
interface ApprovalState {
  request: {
    request_id: string;
    created_at: string;
    expires_at: string;
    requester: { actor: string; agent_id: string; session_id: string };
    action: {
      action_type: string;
      target: string;
      policy_id: string;
      rule_id: string;
      reason: string;
      severity: string;
    };
    approver_group: string;
    scopes: string[];
  };
  reviews: Review[];
  outcome?: { status: string; by?: string[]; scope?: string; decided_at?: string };
}
interface Summary {
  seq: number;
  time: string;
  kind: string;
  session: string;
  agent: string;
  actor: string;
  action: string;
  target: string;
  decision: string;
  rule: string;
}

function timeLeft(expiresAt: string): string {
  const ms = Date.parse(expiresAt) - Date.now();
  if (ms <= 0) return 'expired';
  const minutes = Math.floor(ms / 60_000);
  return minutes >= 60
    ? `${Math.floor(minutes / 60)} h ${minutes % 60} min`
    : `${minutes} min ${Math.floor((ms % 60_000) / 1000)} s`;
}

function outcomeView(state: ApprovalState): HTMLElement {
  const outcome = state.outcome;
  const status = outcome?.status ?? 'pending';
  const label =
    status === 'approved'
      ? 'Approved'
      : status === 'denied'
        ? 'Denied'
        : status === 'expired'
          ? 'Expired'
          : 'Pending';
  const reviews = h(
    'ul',
    {},
    ...state.reviews.map((review) =>
      h(
        'li',
        {},
        `${review.verdict === 'approve' ? 'Approved' : 'Denied'} by ${review.reviewer}`,
        review.scope ? `, scope ${review.scope}` : '',
        review.reason ? `: “${review.reason}”` : '',
      ),
    ),
  );
  return h('div', {}, h('p', { class: `outcome ${status}`, tabindex: '-1' }, label), reviews);
}

function requestArticle(state: ApprovalState, history: Summary[], unavailable?: string): HTMLElement {
  const { request } = state;
  const id = request.request_id;
  const field = (name: string) => `${name}-${id}`;
  const scope = h(
    'select',
    { id: field('scope'), name: 'scope' },
    ...['once', 'session', 'ttl']
      .filter((kind) => request.scopes.includes(kind))
      .map((kind) => h('option', { value: kind }, kind)),
  ) as HTMLSelectElement;
  const ttl = h('input', {
    id: field('ttl'),
    name: 'ttl',
    placeholder: 'e.g. 30m',
    size: '8',
  }) as HTMLInputElement;
  const reason = h('textarea', {
    id: field('reason'),
    name: 'reason',
    rows: '2',
    cols: '40',
    maxlength: '512',
  }) as HTMLTextAreaElement;
  const approve = h('button', { type: 'button' }, 'Approve') as HTMLButtonElement;
  const deny = h('button', { type: 'button', class: 'secondary' }, 'Deny') as HTMLButtonElement;
  const controls = h(
    'div',
    { class: 'review' },
    h('div', {}, h('label', { for: field('scope') }, 'Scope'), scope),
    h('div', {}, h('label', { for: field('ttl') }, 'TTL'), ttl),
    h('div', {}, h('label', { for: field('reason') }, 'Reason'), reason),
    approve,
    deny,
  );
  if (!me?.can_sign) {
    for (const control of [scope, ttl, reason, approve, deny]) control.setAttribute('disabled', '');
  }
  const article = h(
    'article',
    { 'aria-label': `Request ${id}` },
    h('h2', {}, `${request.action.action_type}: ${request.action.target}`),
    h(
      'dl',
      {},
      h('dt', {}, 'Asked by'),
      h(
        'dd',
        {},
        `${request.requester.actor} (agent ${request.requester.agent_id}, session ${request.requester.session_id})`,
      ),
      h('dt', {}, 'Rule'),
      h(
        'dd',
        {},
        `${request.action.rule_id} in pack ${request.action.policy_id} (${request.action.severity}): ${request.action.reason}`,
      ),
      h('dt', {}, 'Approver group'),
      h('dd', {}, request.approver_group),
      h('dt', {}, 'Time left'),
      h('dd', { 'data-expires': request.expires_at }, timeLeft(request.expires_at)),
      h('dt', {}, 'Request id'),
      h('dd', {}, id),
    ),
    h(
      'details',
      {},
      h('summary', {}, `The session's previous decisions (${history.length})`),
      history.length === 0
        ? h('p', {}, unavailable ?? 'None in the evidence log.')
        : h(
            'ul',
            {},
            ...history.map((entry) =>
              h(
                'li',
                {},
                h('a', { href: `#/evidence/${entry.seq}` }, `#${entry.seq}`),
                ` ${entry.time} ${entry.action} ${entry.target}: ${entry.decision || 'event'} (${entry.rule})`,
              ),
            ),
          ),
    ),
    controls,
  );
  const send = async (verdict: 'approve' | 'deny') => {
    const body: Record<string, string> = { verdict };
    if (verdict === 'approve') {
      const kind = scope.value;
      if (kind === 'ttl') {
        if (!ttl.value.trim()) {
          say('A TTL scope needs a duration in TTL (e.g. 30m).', true);
          ttl.focus();
          return;
        }
        body.scope = `ttl:${ttl.value.trim()}`;
      } else body.scope = kind;
    }
    if (reason.value.trim()) body.reason = reason.value.trim();
    if (verdict === 'deny' && !body.reason) {
      say('A denial needs a reason.', true);
      reason.focus();
      return;
    }
    approve.disabled = true;
    deny.disabled = true;
    try {
      const { approval } = await api<{ approval: ApprovalState }>(
        `/api/approvals/${encodeURIComponent(id)}/review`,
        body,
      );
      const shown = outcomeView(approval);
      controls.replaceWith(shown);
      say(`Request ${id}: ${approval.outcome?.status ?? 'review recorded, still pending'}.`);
      (shown.querySelector('.outcome') as HTMLElement).focus();
    } catch (error) {
      approve.disabled = false;
      deny.disabled = false;
      say(`Request ${id}: ${(error as Error).message}`, true);
    }
  };
  approve.addEventListener('click', () => send('approve'));
  deny.addEventListener('click', () => send('deny'));
  return article;
}

/** How often the inbox looks for new requests while it is shown. */
const INBOX_POLL_MS = 5000;

async function approvalsView(view: HTMLElement) {
  view.append(h('h1', {}, 'Pending approvals'));
  if (!me?.views.approvals) {
    view.append(h('p', {}, 'No daemon configured: start cavra console with --socket or --config.'));
    return;
  }
  const none = h('p', {}, 'No pending requests.');
  const shown = new Set<string>();
  // Appends the pending requests not shown yet: an article being filled in is never redrawn.
  const addNew = async () => {
    const { approvals } = await api<{ approvals: ApprovalState[] }>('/api/approvals?status=pending');
    const fresh = approvals.filter((state) => !shown.has(state.request.request_id));
    for (const state of fresh) {
      const id = state.request.request_id;
      shown.add(id);
      const found = await api<{
        approval: ApprovalState;
        session_history: Summary[];
        session_history_unavailable?: string;
      }>(`/api/approvals/${encodeURIComponent(id)}`);
      none.remove();
      view.append(requestArticle(found.approval, found.session_history, found.session_history_unavailable));
    }
    if (shown.size === 0) view.append(none);
    return fresh.length;
  };
  const first = await addNew();
  if (view.isConnected && first > 0) say(`${first} pending request${first === 1 ? '' : 's'}.`);
  const poll = setInterval(async () => {
    if (!view.isConnected) {
      clearInterval(poll);
      return;
    }
    const added = await addNew().catch(() => 0);
    if (added > 0 && view.isConnected) say(`${added} new pending request${added === 1 ? '' : 's'}.`);
  }, INBOX_POLL_MS);
}

// ---- evidence -------------------------------------------------------------------------------------------------

const DECISIONS = ['allow', 'block', 'require_approval', 'warn', 'audit_only', 'allow_with_attestation'];
const FILTERS = ['Session', 'Agent', 'Actor', 'Action', 'Decision', 'Rule', 'Since', 'Until'] as const;

/** The evidence list's state: the filters applied and the pages walked (for Newer). */
const evidenceState = { filters: {} as Record<string, string>, pages: [] as (number | undefined)[] };

function chainBadge(): HTMLElement {
  const badge = h('p', { role: 'status', class: 'badge' }, 'Checking the chain…');
  api<{ ok: boolean; records: number; problems: { line: number; message: string }[] }>(
    '/api/evidence/verification',
  ).then(
    (chain) => {
      badge.classList.add(chain.ok ? 'ok' : 'broken');
      badge.textContent = chain.ok
        ? `Chain verified: ${chain.records} records intact`
        : `Chain broken: ${chain.problems.map((problem) => `line ${problem.line}: ${problem.message}`).join('; ')}`;
    },
    (error: Error) => {
      badge.classList.add('broken');
      badge.textContent = `Chain not checked: ${error.message}`;
    },
  );
  return badge;
}

/** The central verifier's receipt for this log's daemon (fleet mode): verified through which record, or why not. */
function receiptBadge(): HTMLElement {
  const badge = h('p', { class: 'badge' }, 'Receipt: checking…');
  api<{ state: string; message: string }>('/api/evidence/receipt').then(
    (receipt) => {
      badge.classList.add(receipt.state === 'verified' ? 'ok' : 'broken');
      badge.textContent = receipt.message;
    },
    (error: Error) => {
      badge.classList.add('broken');
      badge.textContent = `Receipt: not read: ${error.message}`;
    },
  );
  return badge;
}

function filterForm(onApply: () => void): HTMLElement {
  const fields = FILTERS.map((name) => {
    const key = name.toLowerCase();
    const id = `filter-${key}`;
    const value = evidenceState.filters[key] ?? '';
    const control =
      name === 'Decision'
        ? h(
            'select',
            { id, name: key },
            h('option', { value: '' }, 'any'),
            ...DECISIONS.map((decision) =>
              h('option', { value: decision, selected: decision === value }, decision),
            ),
          )
        : h('input', {
            id,
            name: key,
            value,
            ...(name === 'Since' || name === 'Until' ? { placeholder: '2026-12-06T08:00:00Z' } : {}),
          });
    return h('div', {}, h('label', { for: id }, name), control);
  });
  const form = h(
    'form',
    { class: 'grid', 'aria-label': 'Filters' },
    ...fields,
    h('div', {}, h('button', { type: 'submit' }, 'Apply filters')),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const data = new FormData(form as HTMLFormElement);
    evidenceState.filters = {};
    for (const [key, value] of data.entries())
      if (String(value).trim()) evidenceState.filters[key] = String(value).trim();
    evidenceState.pages = [];
    onApply();
  });
  return form;
}

function evidenceTable(records: Summary[]): HTMLElement {
  const columns = ['Seq', 'Time', 'Session', 'Agent', 'Actor', 'Action', 'Target', 'Decision', 'Rule'];
  return h(
    'table',
    {},
    h('caption', {}, 'Evidence records'),
    h('thead', {}, h('tr', {}, ...columns.map((column) => h('th', { scope: 'col' }, column)))),
    h(
      'tbody',
      {},
      ...records.map((record) =>
        h(
          'tr',
          {},
          h('td', {}, h('a', { href: `#/evidence/${record.seq}` }, String(record.seq))),
          h('td', {}, record.time),
          h('td', {}, record.session),
          h('td', {}, record.agent),
          h('td', {}, record.actor),
          h('td', {}, record.action),
          h('td', { class: 'target' }, record.target),
          h('td', {}, record.decision || '(event)'),
          h('td', {}, record.rule),
        ),
      ),
    ),
  );
}

interface Buckets {
  buckets: { start: string; decisions: Record<string, number>; rules: Record<string, number> }[];
}

/** Stacked bars per time bucket, one colour per decision; each bar's title and the legend say it in words. */
function decisionsChart(counts: Buckets): HTMLElement {
  const buckets = counts.buckets.slice(-48);
  const width = 720;
  const height = 180;
  const max = Math.max(
    1,
    ...buckets.map((bucket) => Object.values(bucket.decisions).reduce((a, b) => a + b, 0)),
  );
  const barWidth = buckets.length
    ? Math.min(24, Math.max(4, Math.floor((width - 40) / buckets.length) - 2))
    : 0;
  const chart = svg('svg', {
    viewBox: `0 0 ${width} ${height + 30}`,
    width: '100%',
    role: 'img',
    'aria-label': 'Decisions per hour, stacked by decision',
  });
  chart.append(
    svg('text', { x: 0, y: 12 }, String(max)),
    svg('line', { x1: 30, y1: height, x2: width, y2: height, stroke: '#1b1f24' }),
  );
  buckets.forEach((bucket, index) => {
    const x = 34 + index * (barWidth + 2);
    let y = height;
    const words = DECISIONS.filter((decision) => bucket.decisions[decision]).map(
      (decision) => `${decision} ${bucket.decisions[decision]}`,
    );
    const group = svg('g', {}, svg('title', {}, `${bucket.start}: ${words.join(', ')}`));
    for (const decision of DECISIONS) {
      const count = bucket.decisions[decision] ?? 0;
      if (!count) continue;
      const barHeight = (count / max) * (height - 20);
      y -= barHeight;
      group.append(svg('rect', { x, y, width: barWidth, height: barHeight, class: `d-${decision}` }));
    }
    chart.append(group);
    if (index === 0 || index === buckets.length - 1)
      chart.append(svg('text', { x, y: height + 14 }, bucket.start.slice(5, 13).replace('T', ' ')));
  });
  const legend = h(
    'ul',
    { class: 'legend' },
    ...DECISIONS.map((decision) =>
      h('li', {}, h('span', { class: `swatch d-${decision}`, 'aria-hidden': 'true' }), decision),
    ),
  );
  const rules = new Map<string, number>();
  for (const bucket of buckets)
    for (const [rule, count] of Object.entries(bucket.rules)) rules.set(rule, (rules.get(rule) ?? 0) + count);
  const topRules = [...rules.entries()].sort((a, b) => b[1] - a[1]).slice(0, 8);
  return h(
    'figure',
    {},
    h('figcaption', {}, 'Decisions over time'),
    buckets.length ? chart : h('p', {}, 'No decisions recorded yet.'),
    legend,
    h('p', {}, `Top rules: ${topRules.map(([rule, count]) => `${rule} (${count})`).join(', ') || 'none'}`),
  );
}

function replayForm(): HTMLElement {
  const result = h('div', {});
  const form = h(
    'form',
    { class: 'grid', 'aria-label': 'Replay a pack' },
    h(
      'div',
      {},
      h('label', { for: 'replay-pack' }, 'Pack file'),
      h('input', { id: 'replay-pack', name: 'pack', required: true }),
    ),
    h('div', {}, h('button', { type: 'submit' }, 'Replay')),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const pack = (byId('replay-pack') as HTMLInputElement).value.trim();
    const { since, until } = evidenceState.filters;
    try {
      const outcome = await api<{
        replayed: number;
        changed: {
          seq: number;
          actionType: string;
          target: string;
          recorded: { decision: string; ruleId: string };
          replayed: { decision: string; ruleId: string };
        }[];
      }>('/api/replay', { pack, ...(since ? { since } : {}), ...(until ? { until } : {}) });
      result.replaceChildren(
        h('p', {}, `${outcome.replayed} decisions replayed; ${outcome.changed.length} would change.`),
        outcome.changed.length
          ? h(
              'table',
              {},
              h('caption', {}, 'Changed decisions'),
              h(
                'thead',
                {},
                h(
                  'tr',
                  {},
                  ...['Seq', 'Action', 'Target', 'Recorded', 'Replayed'].map((column) =>
                    h('th', { scope: 'col' }, column),
                  ),
                ),
              ),
              h(
                'tbody',
                {},
                ...outcome.changed.map((change) =>
                  h(
                    'tr',
                    {},
                    h('td', {}, h('a', { href: `#/evidence/${change.seq}` }, String(change.seq))),
                    h('td', {}, change.actionType),
                    h('td', { class: 'target' }, change.target),
                    h('td', {}, `${change.recorded.decision} (${change.recorded.ruleId})`),
                    h('td', {}, `${change.replayed.decision} (${change.replayed.ruleId})`),
                  ),
                ),
              ),
            )
          : '',
      );
      say(`Replay: ${outcome.changed.length} decisions would change.`);
    } catch (error) {
      say(`Replay failed: ${(error as Error).message}`, true);
    }
  });
  return h(
    'section',
    { 'aria-labelledby': 'replay-heading' },
    h('h2', { id: 'replay-heading' }, 'Replay a pack over this range'),
    form,
    result,
  );
}

async function evidenceView(view: HTMLElement) {
  view.append(h('h1', {}, 'Evidence'));
  if (!me?.views.evidence) {
    view.append(h('p', {}, 'No evidence log configured: start cavra console with --evidence.'));
    return;
  }
  const list = h('div', {});
  const newer = h('button', { type: 'button', class: 'secondary' }, 'Newer') as HTMLButtonElement;
  const older = h('button', { type: 'button', class: 'secondary' }, 'Older') as HTMLButtonElement;
  let nextBefore: number | null = null;
  const load = async () => {
    const before = evidenceState.pages[evidenceState.pages.length - 1];
    const query = new URLSearchParams({
      ...evidenceState.filters,
      limit: '50',
      ...(before ? { before: String(before) } : {}),
    });
    try {
      const page = await api<{ records: Summary[]; next_before: number | null; total: number }>(
        `/api/evidence?${query}`,
      );
      nextBefore = page.next_before;
      list.replaceChildren(evidenceTable(page.records));
      newer.disabled = evidenceState.pages.length === 0;
      older.disabled = nextBefore === null;
      if (view.isConnected) say(`${page.records.length} records shown (of ${page.total} in the log).`);
    } catch (error) {
      say((error as Error).message, true);
    }
  };
  newer.addEventListener('click', () => {
    evidenceState.pages.pop();
    void load();
  });
  older.addEventListener('click', () => {
    if (nextBefore !== null) evidenceState.pages.push(nextBefore);
    void load();
  });
  view.append(
    chainBadge(),
    ...(me?.views.fleet ? [receiptBadge()] : []),
    filterForm(load),
    list,
    h('div', { class: 'pager' }, newer, older),
  );
  await load();
  const chart = h('div', {});
  view.append(chart);
  api<Buckets>('/api/evidence/counts?bucket=hour').then(
    (counts) => chart.replaceWith(decisionsChart(counts)),
    (error: Error) => chart.replaceWith(h('p', { class: 'error' }, `Counts: ${error.message}`)),
  );
  if (me.views.replay) view.append(replayForm());
}

async function recordView(view: HTMLElement, seq: string) {
  view.append(h('h1', {}, `Record ${seq}`));
  const shown = await api<{
    text: string;
    record: unknown;
    verification: { ok: boolean; chain_ok: boolean; problems: { message: string }[] };
  }>(`/api/evidence/${encodeURIComponent(seq)}`);
  const { verification } = shown;
  view.append(
    h(
      'p',
      { class: `badge ${verification.ok ? 'ok' : 'broken'}` },
      verification.ok
        ? `Record verified${verification.chain_ok ? '' : ' (the log has problems elsewhere)'}`
        : `Record not verified: ${verification.problems.map((problem) => problem.message).join('; ')}`,
    ),
    h(
      'pre',
      { tabindex: '0', 'aria-label': `Record ${seq} as written` },
      shown.record === null ? shown.text : JSON.stringify(shown.record, null, 2),
    ),
    h('p', {}, h('a', { href: '#/evidence' }, 'Back to the evidence')),
  );
}

// ---- fleet ----------------------------------------------------------------------------------------------------

interface FleetStatus {
  channels: {
    channel: string;
    head: number | null;
    revisions: { revision: number | null; daemons: number }[];
  }[];
  daemons: {
    heartbeat: {
      daemon_id: string;
      kind: string;
      channel: string;
      revision?: number;
      bundle_state: string;
      decisions: Record<string, number>;
    };
    last_seen: string;
    seen: boolean;
    on_head: boolean | null;
    /** The records not yet acknowledged by the fleet's stream, worded by the server. */
    shipping_lag: string;
  }[];
}

function revisionsChart(status: FleetStatus): HTMLElement {
  const rows = status.channels.flatMap((channel) =>
    channel.revisions.map((entry) => ({
      label: `${channel.channel} r${entry.revision ?? 'none'}${entry.revision === channel.head ? ' (head)' : ''}`,
      count: entry.daemons,
    })),
  );
  const max = Math.max(1, ...rows.map((row) => row.count));
  const chart = svg('svg', {
    viewBox: `0 0 600 ${rows.length * 24 + 10}`,
    width: '100%',
    role: 'img',
    'aria-label': 'Daemons per revision, per channel',
  });
  rows.forEach((row, index) => {
    const y = 5 + index * 24;
    chart.append(
      svg('text', { x: 0, y: y + 14 }, row.label),
      svg('rect', { x: 200, y, width: (row.count / max) * 340, height: 18, class: 'd-revision' }),
      svg('text', { x: 205 + (row.count / max) * 340, y: y + 14 }, String(row.count)),
    );
  });
  return h(
    'figure',
    {},
    h('figcaption', {}, 'Revisions per channel'),
    rows.length ? chart : h('p', {}, 'No channel has a daemon yet.'),
  );
}

async function fleetView(view: HTMLElement) {
  view.append(h('h1', {}, 'Fleet'));
  if (!me?.views.fleet) {
    view.append(h('p', {}, 'No fleet configured: start cavra console with --nats.'));
    return;
  }
  const status = await api<FleetStatus>('/api/fleet');
  const columns = [
    'Daemon',
    'Kind',
    'Channel',
    'Revision',
    'State',
    'Last seen',
    'Decisions',
    'Shipping lag',
  ];
  view.append(
    h(
      'table',
      {},
      h('caption', {}, 'Daemons'),
      h('thead', {}, h('tr', {}, ...columns.map((column) => h('th', { scope: 'col' }, column)))),
      h(
        'tbody',
        {},
        ...status.daemons.map(({ heartbeat, last_seen, seen, on_head, shipping_lag }) =>
          h(
            'tr',
            {},
            h('td', {}, heartbeat.daemon_id),
            h('td', {}, heartbeat.kind),
            h('td', {}, heartbeat.channel),
            h('td', {}, `${heartbeat.revision ?? 'none'}${on_head === false ? ' (behind the head)' : ''}`),
            h('td', {}, `${heartbeat.bundle_state}${seen ? '' : ', not seen lately'}`),
            h('td', {}, last_seen),
            h(
              'td',
              {},
              Object.entries(heartbeat.decisions)
                .map(([decision, count]) => `${decision} ${count}`)
                .join(', ') || 'none',
            ),
            h('td', {}, shipping_lag),
          ),
        ),
      ),
    ),
    revisionsChart(status),
  );
  if (view.isConnected)
    say(`${status.daemons.length} daemon${status.daemons.length === 1 ? '' : 's'} in the fleet.`);
}

// ---- routing --------------------------------------------------------------------------------------------------

async function route() {
  const hash = location.hash || '#/approvals';
  // A fresh container per visit: a slower earlier view still loading appends to its own, now detached, container.
  const view = h('div');
  byId('view').replaceChildren(view);
  say('');
  for (const link of document.querySelectorAll('nav a')) {
    const current = hash.startsWith(link.getAttribute('href') as string);
    if (current) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  try {
    const record = /^#\/evidence\/([0-9]+)$/.exec(hash);
    if (record) await recordView(view, record[1] as string);
    else if (hash.startsWith('#/evidence')) await evidenceView(view);
    else if (hash.startsWith('#/fleet')) await fleetView(view);
    else await approvalsView(view);
  } catch (error) {
    if (error instanceof ApiError && error.code === 'login_required') {
      showSignIn();
      say('Your session ended: sign in again.', true);
      return;
    }
    say((error as Error).message, true);
  }
  (view.querySelector('h1') as HTMLElement | null)?.setAttribute('tabindex', '-1');
}

async function start() {
  // The requests' time left counts down as the page stays open.
  setInterval(() => {
    for (const left of document.querySelectorAll<HTMLElement>('[data-expires]'))
      left.textContent = timeLeft(left.dataset.expires as string);
  }, 1000);
  window.addEventListener('hashchange', async () => {
    if (!me) return;
    const from = document.activeElement;
    await route();
    // To the new view's heading, unless the keyboard user moved on while a slow view loaded: taking the focus from
    // a field they type in would send their next key elsewhere.
    if (document.activeElement === from || document.activeElement === document.body)
      (byId('view').querySelector('h1') as HTMLElement | null)?.focus();
  });
  // The URL's fragment holds the one-time token: used once, then removed from the address bar and history.
  const token = /^#token=([A-Za-z0-9_-]+)$/.exec(location.hash)?.[1];
  if (token) history.replaceState(null, '', `${location.pathname}#/approvals`);
  // A console that stopped answering is said on the page, not left blank.
  const signedIn = token
    ? await signIn(token)
    : await api<{ signed_in: boolean }>('/api/session').then(
        (session) => session.signed_in && loadMe(),
        (error: Error) => {
          say(`The console did not answer: ${error.message}`, true);
          return false;
        },
      );
  if (!signedIn) {
    showSignIn();
    return;
  }
  await route();
}

void start();
