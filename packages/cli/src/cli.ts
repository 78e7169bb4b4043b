#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { APPROVAL_STATUSES } from '@cavra/approvals/wire';
import type { RuntimeMode } from '@cavra/runtime';
import * as approvals from './approval-commands.js';
import { CliError, DECISION_EXIT, EXIT } from './cli-error.js';
import { COMMANDS, type Command, commandHelp, GROUPS, parseOptions, usage } from './command-table.js';
import * as fleetApprovalCommands from './fleet-approval-commands.js';
import type { FleetResult } from './fleet-commands.js';
import * as approvalViews from './render-approval.js';
import {
  bundleInitJson,
  bundleInitText,
  bundlePushJson,
  bundlePushText,
  bundleResignJson,
  bundleResignText,
  bundleRotateJson,
  bundleRotateText,
} from './render-bundle.js';
import { CLI_VERSION } from './version.js';

/** A command line that cannot be run: exit 2, the message and the usage that applies on stderr. */
class UsageError extends CliError {
  readonly usage: string;

  constructor(message: string, usage: string) {
    super(EXIT.usage, message);
    this.usage = usage;
  }
}

async function main(given: readonly string[]): Promise<number> {
  // `cavra help [COMMAND]` is `cavra [COMMAND] --help`.
  const argv = given[0] === 'help' ? [...given.slice(1), '--help'] : given;
  const out = (text: string) => void process.stdout.write(text);
  const io = { out };
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h') return print(usage());
  if (argv[0] === '--version') return print(`${CLI_VERSION}\n`);
  const group = GROUPS.includes(argv[0] as string) ? (argv[0] as string) : undefined;
  if (group && (argv.length === 1 || argv[1] === '--help' || argv[1] === '-h')) {
    if (argv.length === 1) throw new UsageError(`${group}: a subcommand is required`, usage(group));
    return print(usage(group));
  }
  const name = group ? `${group} ${argv[1]}` : (argv[0] as string);
  if (!Object.hasOwn(COMMANDS, name)) {
    throw new UsageError(`unknown command ${JSON.stringify(name)}`, usage(group));
  }
  const command = name as Command;
  const help = commandHelp(command);
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: argv.slice(group ? 2 : 1) as string[],
      options: parseOptions(command),
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new UsageError(`${command}: ${(error as Error).message}`, help);
  }
  const { positionals } = parsed;
  const value = parsed.values as Record<string, string | boolean | string[] | undefined>;
  if (value.help) return print(help);
  const string = (key: string) => {
    const given = value[key];
    if (typeof given !== 'string' || given === '')
      throw new UsageError(`${command}: --${key} is required`, help);
    return given;
  };
  const optional = (key: string) => (typeof value[key] === 'string' ? (value[key] as string) : undefined);
  const list = (key: string) => (value[key] as string[] | undefined) ?? [];
  const flag = (key: string) => value[key] === true;
  const mode = async () => {
    const { RUNTIME_MODES } = await import('@cavra/runtime');
    const given = string('mode');
    if (!(RUNTIME_MODES as readonly string[]).includes(given)) {
      throw new UsageError(`${command}: --mode must be one of ${RUNTIME_MODES.join(', ')}`, help);
    }
    return given as RuntimeMode;
  };
  const args = (min: number, max: number, what: string) => {
    if (positionals.length < min || positionals.length > max) {
      throw new UsageError(`${command}: expected ${what}`, help);
    }
    return positionals;
  };
  const json = (report: unknown) => out(`${JSON.stringify(report, null, 2)}\n`);
  const failOnChange = flag('fail-on-change');
  /** A daemon's answer printed (exit 0), or its failure, the message naming the code (exit 1). */
  const answered = <T>(
    result: approvals.DaemonResult<T>,
    text: (value: T) => string,
    document: (value: T) => unknown,
  ) => {
    if (result.ok) {
      if (flag('json')) json(document(result.value));
      else out(text(result.value));
      return EXIT.ok;
    }
    if (flag('json')) json(approvalViews.daemonFailureJson(result));
    throw new CliError(EXIT.failed, `${command}: ${result.error.message}`);
  };
  /** The fleet's answer printed (exit 0), or its refusal, the message naming the code (exit 1). */
  const fleetAnswered = async <T>(
    result: FleetResult<T>,
    text: (value: T) => string,
    document: (value: T) => unknown,
  ) => {
    if (result.ok) {
      if (flag('json')) json(document(result.value));
      else out(text(result.value));
      return EXIT.ok;
    }
    const { fleetFailureJson } = await import('./render-fleet.js');
    if (flag('json')) json(fleetFailureJson(result));
    throw new CliError(EXIT.failed, `${command}: ${result.error.code}: ${result.error.message}`);
  };
  /** The NATS connection the flags name (the daemon config's `fleet:` shape). */
  const natsConnection = () => {
    const servers = list('nats').flatMap((given) => given.split(',').map((server) => server.trim()));
    if (servers.length === 0) throw new UsageError(`${command}: --nats is required`, help);
    const user = optional('user');
    const passwordEnv = optional('password-env');
    const tokenEnv = optional('token-env');
    const creds = optional('creds');
    return {
      servers,
      ...(user ? { user } : {}),
      ...(passwordEnv ? { password_env: passwordEnv } : {}),
      ...(tokenEnv ? { token_env: tokenEnv } : {}),
      ...(creds ? { creds_file: creds } : {}),
    };
  };
  /** `--nats` given: the fleet's approval store, not a daemon (both: usage). */
  const fleetApprovals = () => {
    if (list('nats').length === 0) return false;
    if (optional('socket') !== undefined)
      throw new UsageError(`${command}: --socket and --nats name two stores: give one`, help);
    return true;
  };
  const signer = () => {
    const idToken = optional('id-token');
    const as = optional('as');
    return { key: string('key'), ...(as ? { as } : {}), ...(idToken ? { idToken } : {}) };
  };

  // Each command loads the code it runs (await import): the policy commands and eval the engine, the fleet commands
  // NATS and TUF. So `cavra approval approve` starts without either (issue 25: 0.5 s of CPU per start before).
  switch (command) {
    case 'policy validate':
      return (await import('./commands.js')).validate(
        io,
        args(1, Number.POSITIVE_INFINITY, 'one or more packs'),
        list('public-key'),
      );
    case 'policy lint': {
      const { lintPacks, lintPassed } = await import('./reports.js');
      const { lintJson } = await import('./render-json.js');
      const { lintText } = await import('./render-text.js');
      const report = await lintPacks(
        args(1, Number.POSITIVE_INFINITY, 'one or more packs'),
        list('public-key'),
      );
      const passed = lintPassed(report);
      if (flag('json')) json(lintJson(report, passed));
      else out(lintText(report));
      return passed ? EXIT.ok : EXIT.failed;
    }
    case 'policy test': {
      if (flag('json') && flag('junit'))
        throw new UsageError(`${command}: --json or --junit, not both`, help);
      const { runPolicyTests } = await import('./reports.js');
      const { testJson } = await import('./render-json.js');
      const { testJunit } = await import('./render-junit.js');
      const { testText } = await import('./render-text.js');
      const report = await runPolicyTests(positionals);
      if (flag('json')) json(testJson(report));
      else out(flag('junit') ? testJunit(report) : testText(report));
      return report.failed === 0 ? EXIT.ok : EXIT.failed;
    }
    case 'policy diff': {
      const [from, to] = args(2, 2, 'two packs: A B') as [string, string];
      const requests = optional('requests');
      const { diffPacks } = await import('./reports.js');
      const { diffJson } = await import('./render-json.js');
      const { diffText } = await import('./render-text.js');
      const report = await diffPacks({ from, to, ...(requests ? { requests } : {}) });
      if (flag('json')) json(diffJson(report));
      else out(diffText(report));
      return failOnChange && (report.requests?.changes.length ?? 0) > 0 ? EXIT.failed : EXIT.ok;
    }
    case 'policy replay': {
      args(0, 0, 'no arguments besides --pack and --evidence');
      const { replayPack } = await import('./reports.js');
      const { replayJson } = await import('./render-json.js');
      const { replayText } = await import('./render-text.js');
      const run = await replayPack({
        pack: string('pack'),
        evidence: string('evidence'),
        mode: await mode(),
      });
      if (flag('json')) json(replayJson(run));
      else out(replayText(run));
      return failOnChange && run.changed.length > 0 ? EXIT.failed : EXIT.ok;
    }
    case 'policy keygen':
      args(0, 0, 'no arguments besides --private-key and --public-key');
      return (await import('./commands.js')).keygen(io, {
        privateKey: string('private-key'),
        publicKey: string('public-key'),
        keyId: string('key-id'),
      });
    case 'policy sign': {
      const [pack] = args(1, 1, 'one pack') as [string];
      const signer = optional('signer');
      const keyId = optional('key-id');
      return (await import('./commands.js')).sign(io, {
        pack,
        privateKey: string('private-key'),
        ...(signer ? { signer } : {}),
        ...(keyId ? { keyId } : {}),
      });
    }
    case 'policy verify': {
      const [pack] = args(1, 1, 'one pack') as [string];
      if (list('public-key').length === 0) throw new UsageError(`${command}: --public-key is required`, help);
      const signature = optional('signature');
      return (await import('./commands.js')).verify(io, {
        pack,
        publicKeys: list('public-key'),
        ...(signature ? { signature } : {}),
      });
    }
    case 'eval': {
      const [request] = args(1, 1, 'one request: JSON text, or - to read it from stdin') as [string];
      if (flag('all') && !flag('explain')) throw new UsageError(`${command}: --all needs --explain`, help);
      const { evaluateRequest } = await import('./reports.js');
      const { evalJson } = await import('./render-json.js');
      const { evalText } = await import('./render-text.js');
      const report = await evaluateRequest({
        pack: string('pack'),
        mode: await mode(),
        request: request === '-' ? await (await import('./read-input.js')).readStdin() : request,
      });
      const shown = { explain: flag('explain'), all: flag('all') };
      if (flag('json')) json(evalJson(report, shown));
      else out(evalText(report, shown));
      return flag('exit-code') ? DECISION_EXIT[report.explanation.decision.decision] : EXIT.ok;
    }
    case 'approval keygen': {
      args(0, 0, 'no arguments besides --out');
      const as = optional('as');
      const report = await approvals.approverKeygen({
        out: string('out'),
        ...(as ? { approverId: as } : {}),
      });
      if (flag('json')) json(approvalViews.approverKeyJson(report));
      else out(approvalViews.approverKeyText(report));
      return EXIT.ok;
    }
    case 'approval list': {
      args(0, 0, 'no arguments besides --group and --status');
      const status = optional('status');
      if (status !== undefined && !(APPROVAL_STATUSES as readonly string[]).includes(status))
        throw new UsageError(`${command}: --status must be one of ${APPROVAL_STATUSES.join(', ')}`, help);
      const group = optional('group');
      const filter = {
        ...(group ? { group } : {}),
        ...(status ? { status: status as (typeof APPROVAL_STATUSES)[number] } : {}),
      };
      return answered(
        fleetApprovals()
          ? await fleetApprovalCommands.listFleetApprovalRequests(natsConnection(), filter)
          : await approvals.listApprovalRequests(optional('socket'), filter),
        approvalViews.approvalListText,
        approvalViews.approvalListJson,
      );
    }
    case 'approval show': {
      const [id] = args(1, 1, 'one request id') as [string];
      return answered(
        fleetApprovals()
          ? await fleetApprovalCommands.showFleetApprovalRequest(natsConnection(), id)
          : await approvals.showApprovalRequest(optional('socket'), id),
        approvalViews.approvalText,
        approvalViews.approvalJson,
      );
    }
    case 'approval approve':
    case 'approval deny': {
      const [id] = args(1, 1, 'one request id') as [string];
      const verdict = command === 'approval approve' ? 'approve' : 'deny';
      const scope = verdict === 'approve' ? optional('scope') : undefined;
      const reason = verdict === 'deny' ? string('reason') : optional('reason');
      const review = { id, verdict, ...(scope ? { scope } : {}), ...(reason ? { reason } : {}) } as const;
      return answered(
        fleetApprovals()
          ? await fleetApprovalCommands.reviewFleetApprovalRequest(
              natsConnection(),
              string('config'),
              review,
              signer(),
            )
          : await approvals.reviewApprovalRequest(optional('socket'), review, signer()),
        approvalViews.approvalText,
        approvalViews.approvalJson,
      );
    }
    case 'fleet status': {
      args(0, 0, 'no arguments besides --nats');
      const notSeenAfter = string('not-seen-after');
      if (!/^[1-9][0-9]{0,6}$/.test(notSeenAfter))
        throw new UsageError(`${command}: --not-seen-after must be a whole number of seconds ≥ 1`, help);
      const { fleetStatus } = await import('./fleet-commands.js');
      const { fleetStatusJson, fleetStatusText } = await import('./render-fleet.js');
      return fleetAnswered(
        await fleetStatus(natsConnection(), { notSeenAfterMs: Number(notSeenAfter) * 1000 }),
        fleetStatusText,
        fleetStatusJson,
      );
    }
    case 'console': {
      args(0, 0, 'no arguments besides the options');
      const port = string('port');
      if (!/^[0-9]{1,5}$/.test(port) || Number(port) > 65_535)
        throw new UsageError(`${command}: --port must be a port number from 0 to 65535`, help);
      const listen = optional('listen');
      const cert = optional('tls-cert');
      const key = optional('tls-key');
      if ((cert === undefined) !== (key === undefined))
        throw new UsageError(`${command}: --tls-cert and --tls-key go together`, help);
      if (listen && !cert)
        throw new UsageError(
          `${command}: --listen needs --tls-cert and --tls-key (without TLS the console listens on 127.0.0.1 only)`,
          help,
        );
      const config = optional('config');
      const socket = optional('socket');
      if (config && socket) throw new UsageError(`${command}: --config or --socket, not both`, help);
      if (optional('as') && !optional('key')) throw new UsageError(`${command}: --as needs --key`, help);
      const evidence = optional('evidence');
      const receiptKey = optional('receipt-key');
      if (receiptKey && list('nats').length === 0)
        throw new UsageError(
          `${command}: --receipt-key needs --nats (the receipts are in the fleet's NATS)`,
          help,
        );
      const { runConsole } = await import('./console-command.js');
      return runConsole(
        {
          ...(config ? { config } : {}),
          ...(socket ? { socket } : {}),
          ...(evidence ? { evidence } : {}),
          ...(list('nats').length > 0 ? { nats: natsConnection() } : {}),
          ...(receiptKey ? { receiptKey } : {}),
          ...(optional('key') ? { signer: signer() } : {}),
          port: Number(port),
          ...(listen ? { listen } : {}),
          ...(cert && key ? { tls: { cert, key } } : {}),
        },
        out,
      );
    }
    case 'evidence query': {
      args(0, 0, 'no arguments besides --nats');
      const since = optional('since');
      if (
        since !== undefined &&
        !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(since)
      )
        throw new UsageError(`${command}: --since must be an RFC 3339 time, e.g. 2026-12-06T00:00:00Z`, help);
      const daemon = optional('daemon');
      const decision = optional('decision');
      const { evidenceQuery } = await import('./evidence-commands.js');
      const { evidenceQueryJson, evidenceQueryText } = await import('./render-evidence.js');
      return fleetAnswered(
        await evidenceQuery(natsConnection(), {
          ...(daemon !== undefined ? { daemonId: daemon } : {}),
          ...(since !== undefined ? { since: new Date(since) } : {}),
          ...(decision !== undefined ? { decision } : {}),
        }),
        evidenceQueryText,
        evidenceQueryJson,
      );
    }
    case 'bundle init': {
      args(0, 0, 'no arguments besides --channel and --out');
      const { bundleInit } = await import('./bundle-commands.js');
      const trust = await bundleInit({ channel: string('channel'), out: string('out') });
      if (flag('json')) json(bundleInitJson(trust));
      else out(bundleInitText(trust));
      return EXIT.ok;
    }
    case 'bundle push': {
      const paths = args(1, Number.POSITIVE_INFINITY, 'one or more pack files or folders');
      const connection = natsConnection();
      const revision = optional('revision');
      if (revision !== undefined && !/^[1-9][0-9]{0,15}$/.test(revision))
        throw new UsageError(`${command}: --revision must be a positive integer`, help);
      const defaultPack = optional('default-pack');
      const { bundlePush } = await import('./bundle-commands.js');
      const bundle = await bundlePush({
        connection,
        channel: string('channel'),
        keysDir: string('keys'),
        paths,
        ...(revision === undefined ? {} : { revision: Number(revision) }),
        ...(defaultPack === undefined ? {} : { defaultPack }),
      });
      if (flag('json')) json(bundlePushJson(bundle));
      else out(bundlePushText(bundle));
      return EXIT.ok;
    }
    case 'bundle resign': {
      args(0, 0, 'no arguments besides --channel and --keys');
      const connection = natsConnection();
      const channel = string('channel');
      const { bundleResign } = await import('./bundle-commands.js');
      const resigned = await bundleResign({ connection, channel, keysDir: string('keys') });
      if (flag('json')) json(bundleResignJson(channel, resigned));
      else out(bundleResignText(channel, resigned));
      return EXIT.ok;
    }
    case 'bundle rotate': {
      args(0, 0, 'no arguments besides --channel, --keys and --role');
      const connection = natsConnection();
      const channel = string('channel');
      const { bundleRotate } = await import('./bundle-commands.js');
      const rotated = await bundleRotate({
        connection,
        channel,
        keysDir: string('keys'),
        roles: list('role'),
      });
      if (flag('json')) json(bundleRotateJson(channel, rotated));
      else out(bundleRotateText(channel, rotated));
      return EXIT.ok;
    }
  }
}

function print(text: string): number {
  process.stdout.write(text);
  return EXIT.ok;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const code = error instanceof CliError ? error.exitCode : EXIT.failed;
    process.stderr.write(`cavra: ${(error as Error).message}\n`);
    if (error instanceof UsageError) process.stderr.write(`\n${error.usage}`);
    else if (!(error instanceof CliError)) process.stderr.write(`${(error as Error).stack ?? ''}\n`);
    process.exitCode = code;
  },
);
