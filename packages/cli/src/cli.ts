#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { RUNTIME_MODES, type RuntimeMode } from '@cavra/runtime';
import { CliError, EXIT } from './cli-error.js';
import * as commands from './commands.js';
import { CLI_VERSION } from './version.js';

const USAGE = `cavra ${CLI_VERSION}: policy tooling for CAVRA

usage:
  cavra policy validate PACK... [--public-key KEY]...   load each pack as the daemon does (signed by KEY, if given)
  cavra policy lint PACK... [--public-key KEY]...       validate, then report shadowed and overridden rules
  cavra policy test [PATH...]                           run *.test.yaml files (PATH: a test file, a pack, a folder)
  cavra policy diff A B [--requests FILE] [--fail-on-change]
                                                        rules changed from pack A to B; decisions changed over FILE
  cavra policy replay --pack NEW --evidence LOG [--mode MODE] [--fail-on-change]
                                                        decide a daemon evidence log's requests again with NEW
  cavra policy keygen --private-key FILE --public-key FILE [--key-id ID]
  cavra policy sign PACK --private-key FILE [--signer NAME] [--key-id ID]
  cavra policy verify PACK --public-key KEY... [--signature FILE]
  cavra eval --pack PACK [--mode MODE] [--explain] [--json] REQUEST
                                                        decide one request (JSON, or - for stdin)

exit codes: 0 ok, 1 a check failed, 2 usage, 3 invalid pack, 4 other invalid input
`;

type Spec = NonNullable<Parameters<typeof parseArgs>[0]>['options'];

const MODE = { type: 'string', default: 'enforce' } as const;
const FAIL_ON_CHANGE = { type: 'boolean', default: false } as const;
const PUBLIC_KEYS = { type: 'string', multiple: true } as const;

const SPECS = {
  'policy validate': { 'public-key': PUBLIC_KEYS },
  'policy lint': { 'public-key': PUBLIC_KEYS },
  'policy test': {},
  'policy diff': { requests: { type: 'string' }, 'fail-on-change': FAIL_ON_CHANGE },
  'policy replay': {
    pack: { type: 'string' },
    evidence: { type: 'string' },
    mode: MODE,
    'fail-on-change': FAIL_ON_CHANGE,
  },
  'policy keygen': {
    'private-key': { type: 'string' },
    'public-key': { type: 'string' },
    'key-id': { type: 'string', default: 'local-policy-signing-key' },
  },
  'policy sign': {
    'private-key': { type: 'string' },
    signer: { type: 'string' },
    'key-id': { type: 'string' },
  },
  'policy verify': { 'public-key': PUBLIC_KEYS, signature: { type: 'string' } },
  eval: {
    pack: { type: 'string' },
    mode: MODE,
    explain: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
} as const satisfies Record<string, Spec>;

type Command = keyof typeof SPECS;

async function main(argv: readonly string[]): Promise<number> {
  const io = { out: (text: string) => void process.stdout.write(text) };
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h') return print(USAGE);
  if (argv[0] === '--version') return print(`${CLI_VERSION}\n`);
  const name = argv[0] === 'policy' ? `policy ${argv[1] ?? ''}` : (argv[0] as string);
  if (!(name in SPECS)) {
    throw new CliError(
      EXIT.usage,
      `unknown command ${JSON.stringify(name.trim())} (cavra --help lists them)`,
    );
  }
  const command = name as Command;
  const { values, positionals } = parseArgs({
    args: argv.slice(command.startsWith('policy ') ? 2 : 1) as string[],
    options: { ...SPECS[command], help: { type: 'boolean', short: 'h', default: false } },
    allowPositionals: true,
    strict: true,
  });
  const value = values as Record<string, string | boolean | string[] | undefined>;
  if (value.help) return print(USAGE);
  const string = (key: string) => {
    const given = value[key];
    if (typeof given !== 'string' || given === '')
      throw new CliError(EXIT.usage, `${command}: --${key} is required`);
    return given;
  };
  const optional = (key: string) => (typeof value[key] === 'string' ? (value[key] as string) : undefined);
  const list = (key: string) => (value[key] as string[] | undefined) ?? [];
  const mode = () => {
    const given = string('mode');
    if (!(RUNTIME_MODES as readonly string[]).includes(given)) {
      throw new CliError(EXIT.usage, `${command}: --mode must be one of ${RUNTIME_MODES.join(', ')}`);
    }
    return given as RuntimeMode;
  };
  const args = (min: number, max: number, what: string) => {
    if (positionals.length < min || positionals.length > max) {
      throw new CliError(EXIT.usage, `${command}: expected ${what}`);
    }
    return positionals;
  };
  const failOnChange = value['fail-on-change'] === true;

  switch (command) {
    case 'policy validate':
      return commands.validate(
        io,
        args(1, Number.POSITIVE_INFINITY, 'one or more packs'),
        list('public-key'),
      );
    case 'policy lint':
      return commands.lint(io, args(1, Number.POSITIVE_INFINITY, 'one or more packs'), list('public-key'));
    case 'policy test':
      return commands.test(io, positionals);
    case 'policy diff': {
      const [from, to] = args(2, 2, 'two packs: A B') as [string, string];
      const requests = optional('requests');
      return commands.diff(io, { from, to, ...(requests ? { requests } : {}), failOnChange });
    }
    case 'policy replay':
      args(0, 0, 'no arguments besides --pack and --evidence');
      return commands.replay(io, {
        pack: string('pack'),
        evidence: string('evidence'),
        mode: mode(),
        failOnChange,
      });
    case 'policy keygen':
      args(0, 0, 'no arguments besides --private-key and --public-key');
      return commands.keygen(io, {
        privateKey: string('private-key'),
        publicKey: string('public-key'),
        keyId: string('key-id'),
      });
    case 'policy sign': {
      const [pack] = args(1, 1, 'one pack') as [string];
      const signer = optional('signer');
      const keyId = optional('key-id');
      return commands.sign(io, {
        pack,
        privateKey: string('private-key'),
        ...(signer ? { signer } : {}),
        ...(keyId ? { keyId } : {}),
      });
    }
    case 'policy verify': {
      const [pack] = args(1, 1, 'one pack') as [string];
      if (list('public-key').length === 0)
        throw new CliError(EXIT.usage, `${command}: --public-key is required`);
      const signature = optional('signature');
      return commands.verify(io, {
        pack,
        publicKeys: list('public-key'),
        ...(signature ? { signature } : {}),
      });
    }
    case 'eval': {
      const [request] = args(1, 1, 'one request: JSON text, or - to read it from stdin') as [string];
      return commands.evaluate(io, {
        pack: string('pack'),
        request,
        mode: mode(),
        explain: value.explain === true,
        json: value.json === true,
      });
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
    const usage = (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    const code = error instanceof CliError ? error.exitCode : usage ? EXIT.usage : EXIT.failed;
    process.stderr.write(`cavra: ${(error as Error).message}\n`);
    if (!(error instanceof CliError) && !usage) process.stderr.write(`${(error as Error).stack ?? ''}\n`);
    process.exitCode = code;
  },
);
