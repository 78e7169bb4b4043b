import { CLI_VERSION } from './version.js';

/** An option of a command: its `parseArgs` setting and its line of help. */
interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly multiple?: boolean;
  readonly default?: string | boolean;
  /** Shown after the option in help, e.g. `KEY`. */
  readonly value?: string;
  readonly help: string;
}

/** A command of `cavra`: what it takes, what it does, an example. */
export interface CommandSpec {
  /** The arguments after the command's name, e.g. `PACK... [--public-key KEY]...`. */
  readonly args: string;
  readonly summary: string;
  readonly options: Readonly<Record<string, OptionSpec>>;
  readonly example: string;
}

const PUBLIC_KEYS: OptionSpec = {
  type: 'string',
  multiple: true,
  value: 'KEY',
  help: 'a trusted public key file (repeat for more): every pack file must be signed by one of them',
};
const MODE: OptionSpec = {
  type: 'string',
  default: 'enforce',
  value: 'MODE',
  help: 'runtime mode: enforce (default), audit_only, strict, break_glass',
};
const FAIL_ON_CHANGE: OptionSpec = {
  type: 'boolean',
  default: false,
  help: 'exit 1 when a decision changes (for CI)',
};
const JSON_OUTPUT: OptionSpec = {
  type: 'boolean',
  default: false,
  help: 'print the report as JSON (shape in the README, with a schema_version)',
};

const SOCKET: OptionSpec = {
  type: 'string',
  value: 'PATH',
  help: "the daemon's socket (default: $XDG_RUNTIME_DIR/cavra/daemon.sock, else /tmp/cavra-<uid>/daemon.sock)",
};
const APPROVAL_JSON: OptionSpec = { ...JSON_OUTPUT, help: 'print the result as JSON (shape in the README)' };
/** How a review is signed: an approver key listed in the daemon's config, or an OIDC ID token bound to a key. */
const REVIEWER: Readonly<Record<string, OptionSpec>> = {
  key: {
    type: 'string',
    value: 'FILE',
    help: 'the private key signing the review (mode 600: made by cavra approval keygen)',
  },
  as: {
    type: 'string',
    value: 'ID',
    help: "your approver id, as the daemon's config lists it with your key (with --id-token: default the token's email)",
  },
  'id-token': {
    type: 'string',
    value: 'FILE',
    help: "an OIDC ID token whose nonce is --key's kid (see the README): your identity and groups come from it",
  },
  reason: {
    type: 'string',
    value: 'TEXT',
    help: 'why (kept in the evidence; at most 512 printable characters)',
  },
  socket: SOCKET,
  json: APPROVAL_JSON,
};

/**
 * How a fleet command reaches NATS: the connection of the daemon config's `fleet:` section, as flags (`--nats` is
 * `servers`, `--password-env` is `password_env`, ...). Secrets are never flag values: variables or a file name them.
 */
export const NATS_CONNECTION: Readonly<Record<string, OptionSpec>> = {
  nats: {
    type: 'string',
    multiple: true,
    value: 'URL',
    help: 'a NATS server, nats://host:port (repeat, or separate with commas, for the other servers of the cluster)',
  },
  user: {
    type: 'string',
    value: 'USER',
    help: 'the NATS user (its password in the variable --password-env names)',
  },
  'password-env': {
    type: 'string',
    value: 'VAR',
    help: "the environment variable holding --user's password",
  },
  'token-env': { type: 'string', value: 'VAR', help: 'the environment variable holding a NATS token' },
  creds: {
    type: 'string',
    value: 'FILE',
    help: 'a NATS credentials file (user JWT and NKey seed, as nsc writes it)',
  },
};

/** `--nats`: act on the fleet's approval store (KV cavra_approvals) instead of a daemon. */
const FLEET_APPROVALS: Readonly<Record<string, OptionSpec>> = {
  ...NATS_CONNECTION,
  nats: {
    ...(NATS_CONNECTION.nats as OptionSpec),
    help: "the fleet's NATS server (repeat or comma-separate): act on the fleet's approval store, not a daemon",
  },
};
/** With `--nats`, who may review comes from a daemon config's `approvals:` section, checked before the write. */
const APPROVERS_CONFIG: OptionSpec = {
  type: 'string',
  value: 'FILE',
  help: "with --nats: a daemon config whose approvals: section lists the fleet's approvers (the review is verified with it)",
};

/** Every command, in the order help lists them. */
export const COMMANDS = {
  'policy validate': {
    args: 'PACK... [--public-key KEY]...',
    summary: 'load each pack as the daemon does (schema, parents; signed by KEY, if given)',
    options: { 'public-key': PUBLIC_KEYS },
    example: 'cavra policy validate team.yaml --public-key platform.pub.pem',
  },
  'policy lint': {
    args: 'PACK... [--public-key KEY]... [--json]',
    summary:
      'validate, then report shadowed and overridden rules; findings the pack acknowledges (lint.acknowledge) are listed and pass',
    options: { 'public-key': PUBLIC_KEYS, json: JSON_OUTPUT },
    example: 'cavra policy lint team.yaml cavra-ai-agent-baseline',
  },
  'policy test': {
    args: '[PATH...] [--json | --junit]',
    summary:
      'run *.test.yaml files; a PATH is a test file, a pack (its test file beside it) or a folder (default .)',
    options: {
      json: JSON_OUTPUT,
      junit: { type: 'boolean', default: false, help: 'print JUnit XML, for CI test reports' },
    },
    example: 'cavra policy test policies/ --junit > policy-tests.xml',
  },
  'policy diff': {
    args: 'A B [--requests FILE] [--fail-on-change] [--json]',
    summary:
      'settings changed from pack A to pack B (parents applied); with FILE (a list of requests, or a test file), decisions changed',
    options: {
      requests: { type: 'string', value: 'FILE', help: 'requests to decide with both packs' },
      'fail-on-change': FAIL_ON_CHANGE,
      json: JSON_OUTPUT,
    },
    example: 'cavra policy diff cavra-ai-agent-baseline team.yaml --requests team.test.yaml',
  },
  'policy replay': {
    args: '--pack NEW --evidence LOG [--mode MODE] [--fail-on-change] [--json]',
    summary:
      "decide a daemon evidence log's requests again with pack NEW; list the decisions that would change",
    options: {
      pack: { type: 'string', value: 'NEW', help: 'the candidate pack (a file or a shipped pack id)' },
      evidence: { type: 'string', value: 'LOG', help: "the daemon's evidence log (JSON Lines)" },
      mode: MODE,
      'fail-on-change': FAIL_ON_CHANGE,
      json: JSON_OUTPUT,
    },
    example: 'cavra policy replay --pack team.yaml --evidence evidence.jsonl --fail-on-change',
  },
  'policy keygen': {
    args: '--private-key FILE --public-key FILE [--key-id ID]',
    summary:
      'a new Ed25519 key pair (PEM; never overwrites); FILE.json beside the private key records ID for sign',
    options: {
      'private-key': { type: 'string', value: 'FILE', help: 'where to write the private key (mode 600)' },
      'public-key': { type: 'string', value: 'FILE', help: 'where to write the public key' },
      'key-id': {
        type: 'string',
        default: 'local-policy-signing-key',
        value: 'ID',
        help: 'the key id signatures by this key carry (default local-policy-signing-key)',
      },
    },
    example:
      'cavra policy keygen --private-key signing.key.pem --public-key signing.pub.pem --key-id platform',
  },
  'policy sign': {
    args: 'PACK --private-key FILE [--signer NAME] [--key-id ID]',
    summary: 'write PACK.sig.json (in upstream CAVRA format); refuses a pack that does not load',
    options: {
      'private-key': { type: 'string', value: 'FILE', help: 'the Ed25519 private key (PEM)' },
      signer: { type: 'string', value: 'NAME', help: 'who signs (default local)' },
      'key-id': {
        type: 'string',
        value: 'ID',
        help: 'the key id to record (default: the one keygen recorded for the key, else the signer)',
      },
    },
    example: 'cavra policy sign team.yaml --private-key signing.key.pem --signer platform-security',
  },
  'policy verify': {
    args: 'PACK --public-key KEY... [--signature FILE]',
    summary: 'check PACK.sig.json (or FILE) against the trusted keys',
    options: {
      'public-key': { ...PUBLIC_KEYS, help: 'a trusted public key file (repeat for more)' },
      signature: { type: 'string', value: 'FILE', help: 'the signature file (default PACK.sig.json)' },
    },
    example: 'cavra policy verify team.yaml --public-key signing.pub.pem',
  },
  eval: {
    args: '--pack PACK [--mode MODE] [--explain [--all]] [--json] [--exit-code] REQUEST',
    summary: 'decide one request (JSON text, or - for stdin)',
    options: {
      pack: { type: 'string', value: 'PACK', help: 'the pack (a file or a shipped pack id)' },
      mode: MODE,
      explain: {
        type: 'boolean',
        default: false,
        help: 'show the rule that decided and the patterns that apply, each tried alone',
      },
      all: {
        type: 'boolean',
        default: false,
        help: 'with --explain: every pattern, also those that do not apply',
      },
      json: {
        ...JSON_OUTPUT,
        help: 'print the DecisionResponse (with --explain: {decision, enforced, tried, fallback})',
      },
      'exit-code': {
        type: 'boolean',
        default: false,
        help: 'exit with the decision: 0 allow, 1 block, 5 require_approval, 6 warn, 7 audit_only, 8 allow_with_attestation',
      },
    },
    example: `cavra eval --pack team.yaml --explain '{"action_type": "execute_command", "target": "npm test"}'`,
  },
  'approval keygen': {
    args: '--out FILE [--as ID]',
    summary:
      "a new Ed25519 approver key: FILE (mode 600, never overwritten) and FILE.pub.pem; prints its kid and the daemon config's approvers entry",
    options: {
      out: {
        type: 'string',
        value: 'FILE',
        help: 'where to write the private key (FILE.pub.pem: the public key)',
      },
      as: {
        type: 'string',
        value: 'ID',
        help: 'the approver id to print in the config entry (e.g. your email)',
      },
      json: APPROVAL_JSON,
    },
    example: 'cavra approval keygen --out ~/.cavra/alice.pem --as alice@example.com',
  },
  'approval list': {
    args: '[--group G] [--status S] [--socket PATH | --nats URL...] [--json]',
    summary:
      "the daemon's (or, with --nats, the fleet's) approval requests, oldest first; S: pending, approved, denied or expired",
    options: {
      group: { type: 'string', value: 'G', help: 'only requests for approver group G' },
      status: { type: 'string', value: 'S', help: 'only requests with status S' },
      socket: SOCKET,
      ...FLEET_APPROVALS,
      json: APPROVAL_JSON,
    },
    example: "cavra approval list --group 'Platform Security' --status pending",
  },
  'approval show': {
    args: 'ID [--socket PATH | --nats URL...] [--json]',
    summary: 'one approval request: who asked for what, the reviews, the outcome',
    options: { socket: SOCKET, ...FLEET_APPROVALS, json: APPROVAL_JSON },
    example: 'cavra approval show 0193a6f2-7c1e-7d3a-9f1b-2c4d5e6f7a8b',
  },
  'approval approve': {
    args: 'ID (--key FILE --as ID | --id-token FILE --key FILE) [--scope SCOPE] [--reason TEXT] [--socket PATH | --nats URL... --config FILE] [--json]',
    summary:
      'sign an approving review of request ID and send it to the daemon (or, with --nats, verify it and write it to the fleet store); prints the outcome',
    options: {
      ...REVIEWER,
      ...FLEET_APPROVALS,
      config: APPROVERS_CONFIG,
      scope: {
        type: 'string',
        value: 'SCOPE',
        help: 'what the approval allows: once (default: one run of the action), session, or ttl:<duration> (e.g. ttl:30m)',
      },
    },
    example:
      'cavra approval approve 0193a6f2-7c1e-7d3a-9f1b-2c4d5e6f7a8b --key ~/.cavra/alice.pem --as alice@example.com',
  },
  'approval deny': {
    args: 'ID --reason TEXT (--key FILE --as ID | --id-token FILE --key FILE) [--socket PATH | --nats URL... --config FILE] [--json]',
    summary:
      'sign a denying review of request ID and send it to the daemon (or, with --nats, the fleet store); one denial decides',
    options: { ...REVIEWER, ...FLEET_APPROVALS, config: APPROVERS_CONFIG },
    example:
      "cavra approval deny 0193a6f2-7c1e-7d3a-9f1b-2c4d5e6f7a8b --reason 'not during the freeze' --key ~/.cavra/alice.pem --as alice@example.com",
  },
  'bundle init': {
    args: '--channel C --out DIR [--json]',
    summary:
      "a channel's TUF keys (root, targets, snapshot, timestamp; Ed25519, mode 600) and its signed root.json in DIR (never overwritten)",
    options: {
      channel: { type: 'string', value: 'C', help: 'the channel (lower-case letters, digits, - and _)' },
      out: { type: 'string', value: 'DIR', help: "the channel's keys folder (made; must not hold keys)" },
      json: APPROVAL_JSON,
    },
    example: 'cavra bundle init --channel laptops --out ~/.cavra/channels/laptops',
  },
  'bundle push': {
    args: '--nats URL... [--user USER --password-env VAR | --token-env VAR | --creds FILE] --channel C --keys DIR [--revision N] [--default-pack NAME] [--json] PACK_OR_FOLDER...',
    summary:
      "validate every pack, then sign and publish them as the channel's next bundle (revision: the newest + 1); nothing is published when a pack is invalid",
    options: {
      ...NATS_CONNECTION,
      channel: { type: 'string', value: 'C', help: 'the channel' },
      keys: { type: 'string', value: 'DIR', help: "the channel's keys folder (made by cavra bundle init)" },
      revision: { type: 'string', value: 'N', help: 'the revision to publish (must exceed the newest)' },
      'default-pack': {
        type: 'string',
        value: 'NAME',
        help: 'the file name of the pack daemons enforce (default: every pack of the bundle)',
      },
      json: APPROVAL_JSON,
    },
    example:
      'cavra bundle push --nats nats://127.0.0.1:4222 --channel laptops --keys ~/.cavra/channels/laptops policies/',
  },
  'bundle resign': {
    args: '--nats URL... [--user USER --password-env VAR | --token-env VAR | --creds FILE] --channel C --keys DIR [--json]',
    summary:
      "sign the channel's current bundle again with new expiries (same revision), so daemons of an unchanged channel never go stale",
    options: {
      ...NATS_CONNECTION,
      channel: { type: 'string', value: 'C', help: 'the channel' },
      keys: { type: 'string', value: 'DIR', help: "the channel's keys folder" },
      json: APPROVAL_JSON,
    },
    example:
      'cavra bundle resign --nats nats://127.0.0.1:4222 --channel laptops --keys ~/.cavra/channels/laptops',
  },
  'bundle rotate': {
    args: '--nats URL... [--user USER --password-env VAR | --token-env VAR | --creds FILE] --channel C --keys DIR [--role ROLE]... [--json]',
    summary:
      "new keys for each ROLE (default root) and the channel's next root, signed by the old and the new root keys; daemons follow on their next refresh",
    options: {
      ...NATS_CONNECTION,
      channel: { type: 'string', value: 'C', help: 'the channel' },
      keys: { type: 'string', value: 'DIR', help: "the channel's keys folder" },
      role: {
        type: 'string',
        multiple: true,
        value: 'ROLE',
        help: 'a role to give a new key: root, targets, snapshot, timestamp (repeat; default root)',
      },
      json: APPROVAL_JSON,
    },
    example:
      'cavra bundle rotate --nats nats://127.0.0.1:4222 --channel laptops --keys ~/.cavra/channels/laptops --role root --role targets',
  },
  'fleet status': {
    args: '--nats URL [--user USER --password-env VAR | --token-env VAR | --creds FILE] [--not-seen-after SECONDS] [--json]',
    summary:
      "the fleet's daemons from their heartbeats: revisions per channel, daemons not on the head, stale bundles, last seen",
    options: {
      ...NATS_CONNECTION,
      'not-seen-after': {
        type: 'string',
        default: '75',
        value: 'SECONDS',
        help: 'a daemon without a heartbeat for this long is shown as not seen (default 75: two heartbeats missed)',
      },
      json: { ...JSON_OUTPUT, help: 'print the status as JSON (shape in the README)' },
    },
    example: 'cavra fleet status --nats nats://127.0.0.1:4222,nats://127.0.0.1:4223,nats://127.0.0.1:4224',
  },
  console: {
    args: '[--config FILE | --socket PATH] [--evidence LOG] [--nats URL [--receipt-key PEM]] [--key FILE (--as ID | --id-token FILE)] [--port N] [--listen ADDR --tls-cert FILE --tls-key FILE]',
    summary:
      'serve the console, a web page for approvers and auditors (approvals inbox, evidence, fleet), on 127.0.0.1; prints its URL with a one-time login token and runs until Ctrl-C',
    options: {
      config: {
        type: 'string',
        value: 'FILE',
        help: "the daemon's config: its socket, evidence log (and signing key), and your approver groups",
      },
      socket: SOCKET,
      evidence: {
        type: 'string',
        value: 'LOG',
        help: "the daemon's evidence log (default with --config: the config's evidence_log)",
      },
      ...NATS_CONNECTION,
      'receipt-key': {
        type: 'string',
        value: 'PEM',
        help: "the central evidence verifier's Ed25519 public key: the evidence view then shows the daemon's receipt as verified or why not",
      },
      key: REVIEWER.key as OptionSpec,
      as: REVIEWER.as as OptionSpec,
      'id-token': REVIEWER['id-token'] as OptionSpec,
      port: { type: 'string', default: '0', value: 'N', help: 'the port (default 0: a free one, printed)' },
      listen: {
        type: 'string',
        value: 'ADDR',
        help: 'listen on this address instead of 127.0.0.1: needs --tls-cert and --tls-key',
      },
      'tls-cert': { type: 'string', value: 'FILE', help: 'the PEM certificate served with --listen' },
      'tls-key': { type: 'string', value: 'FILE', help: "the certificate's PEM private key" },
    },
    example: 'cavra console --config cavra-daemon.yaml --key ~/.cavra/alice.pem --as alice@example.com',
  },
  'evidence query': {
    args: '--nats URL [--user USER --password-env VAR | --token-env VAR | --creds FILE] [--daemon ID] [--since TIME] [--decision D] [--json]',
    summary:
      "the evidence records the fleet's daemons shipped to NATS, oldest first, once each (unverified ones marked)",
    options: {
      ...NATS_CONNECTION,
      daemon: { type: 'string', value: 'ID', help: "one daemon's records only (its daemon id)" },
      since: {
        type: 'string',
        value: 'TIME',
        help: 'records recorded at or after TIME only (RFC 3339, e.g. 2026-12-06T00:00:00Z)',
      },
      decision: {
        type: 'string',
        value: 'D',
        help: 'decision records with this decision only (allow, block, require_approval, ...)',
      },
      json: { ...JSON_OUTPUT, help: 'print the records as JSON (shape in the README)' },
    },
    example:
      'cavra evidence query --nats nats://127.0.0.1:4222 --since 2026-12-06T00:00:00Z --decision block',
  },
} as const satisfies Record<string, CommandSpec>;

/** The groups of commands (`policy`, `approval`, `fleet`, `bundle`): the first word of the commands named with two. */
export const GROUPS: readonly string[] = [
  ...new Set(
    Object.keys(COMMANDS).flatMap((name) => (name.includes(' ') ? [name.split(' ')[0] as string] : [])),
  ),
];

export type Command = keyof typeof COMMANDS;

export const EXIT_CODES = `exit codes: 0 ok, 1 a check failed (approval: the daemon refused; fleet: NATS refused; its code printed), 2 usage,
  3 invalid pack, 4 other invalid input (eval --exit-code: the decision, see cavra eval --help)`;

const synopsis = (name: Command) => `cavra ${name} ${COMMANDS[name].args}`;

/** `cavra --help`, or with `group` (`policy`, `approval`) the help of that group's commands. */
export function usage(group?: string): string {
  const names = (Object.keys(COMMANDS) as Command[]).filter(
    (name) => group === undefined || name.startsWith(`${group} `),
  );
  const lines = names.flatMap((name) => [`  ${synopsis(name)}`, `      ${COMMANDS[name].summary}`]);
  return `cavra ${CLI_VERSION}: policy, approval and fleet tooling for CAVRA

usage:
${lines.join('\n')}

cavra COMMAND --help shows a command's options and an example. A PACK is a file or the id of a shipped pack.
${EXIT_CODES}
`;
}

/** `cavra COMMAND --help`. */
export function commandHelp(name: Command): string {
  const { summary, options, example } = COMMANDS[name] as CommandSpec;
  const rows = [
    ...Object.entries(options).map(([option, spec]) => [
      `--${option}${spec.value ? ` ${spec.value}` : ''}`,
      spec.help,
    ]),
    ['-h, --help', 'print this help'],
  ];
  const width = Math.max(...rows.map(([left]) => (left as string).length));
  return `usage: ${synopsis(name)}

${summary}

options:
${rows.map(([left, help]) => `  ${(left as string).padEnd(width)}  ${help}`).join('\n')}

example:
  ${example}

${EXIT_CODES}
`;
}

/** A command's options as `parseArgs` takes them, `--help` and `-h` added. */
export function parseOptions(name: Command) {
  const options: Record<
    string,
    { type: 'string' | 'boolean'; multiple?: boolean; default?: string | boolean; short?: string }
  > = {
    help: { type: 'boolean', short: 'h', default: false },
  };
  for (const [option, spec] of Object.entries(COMMANDS[name].options as Record<string, OptionSpec>)) {
    options[option] = {
      type: spec.type,
      ...(spec.multiple ? { multiple: true } : {}),
      ...(spec.default !== undefined ? { default: spec.default } : {}),
    };
  }
  return options;
}
