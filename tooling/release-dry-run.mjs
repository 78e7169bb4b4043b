#!/usr/bin/env node
// Release dry run: proof that the packages work outside the workspace.
// 1. `pnpm pack` every publishable package (workspace:^ ranges become real versions) into a temp dir.
// 2. Create a fresh project there and `npm install` those tarballs (never the registry's @cavra packages).
// 3. Copy the smoke example into that project and run it against the installed tarballs.
// Nothing is published. Usage: node tooling/release-dry-run.mjs [--keep]
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const pnpm = join(root, 'node_modules/.bin/pnpm');
// The example whose files are copied and run; it must depend only on @cavra packages and registry packages.
const SMOKE_EXAMPLE = 'examples/daemon-demo';
const SMOKE_COMMAND = ['node', 'demo.mjs'];

function run(command, args, cwd) {
  console.log(`$ ${[command, ...args].join(' ')}  (in ${cwd})`);
  return execFileSync(command, args, { cwd, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
}

const work = mkdtempSync(join(tmpdir(), 'cavra-release-'));
try {
  const tarballs = join(work, 'tarballs');
  const packages = readdirSync(join(root, 'packages'))
    .map((name) => join(root, 'packages', name))
    .filter((dir) => !JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).private);
  const overrides = {};
  for (const dir of packages) {
    const { name } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    const out = run(pnpm, ['pack', '--pack-destination', tarballs], dir).trim().split('\n').at(-1);
    overrides[name] = `file:${out}`;
    console.log(`packed ${name} -> ${out}`);
  }

  const project = join(work, 'project');
  cpSync(join(root, SMOKE_EXAMPLE), project, {
    recursive: true,
    filter: (src) => !src.includes('node_modules') && !src.includes(`${join(SMOKE_EXAMPLE, 'dist')}`),
  });
  const manifest = JSON.parse(readFileSync(join(project, 'package.json'), 'utf8'));
  for (const field of ['dependencies', 'devDependencies']) {
    for (const name of Object.keys(manifest[field] ?? {})) {
      if (overrides[name]) manifest[field][name] = overrides[name];
    }
  }
  manifest.overrides = overrides;
  writeFileSync(join(project, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  run('npm', ['install', '--no-audit', '--no-fund', '--omit=dev', '--loglevel=error'], project);
  process.stdout.write(run(SMOKE_COMMAND[0], SMOKE_COMMAND.slice(1), project));
  console.log(`release dry run passed: ${packages.length} packages packed, installed from tarballs and exercised`);
} finally {
  if (process.argv.includes('--keep')) console.log(`kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
