#!/usr/bin/env node
// Release dry run: proof that the packages work outside the workspace.
// 1. `pnpm pack` every publishable package (workspace:^ ranges become real versions) into a temp dir, and check
//    each tarball: no workspace: range left, README, CHANGELOG, LICENSE and dist shipped.
// 2. For every example: copy it into a fresh project there, point its @cavra dependencies at those tarballs (never
//    the registry's @cavra packages), `npm install`, and run its tests against the installed tarballs.
// 3. Run the main demo from its fresh project, to show it.
// Nothing is published. Usage: node tooling/release-dry-run.mjs [--keep]
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '..', '..');
const pnpm = join(root, 'node_modules/.bin/pnpm');
const MAIN_DEMO = { example: 'daemon-demo', command: ['node', 'demo.mjs'] };
const REQUIRED_FILES = ['package/package.json', 'package/README.md', 'package/CHANGELOG.md', 'package/LICENSE'];

function run(command, args, cwd, { capture = true } = {}) {
  console.log(`$ ${[command, ...args].join(' ')}  (in ${cwd})`);
  return execFileSync(command, args, {
    cwd,
    stdio: ['ignore', capture ? 'pipe' : 'inherit', 'inherit'],
    encoding: 'utf8',
  });
}

const readJson = (path) => JSON.parse(readFileSync(path, 'utf8'));

/** What a user would find wrong in the tarball, if anything. */
function tarballProblems(tarball) {
  const files = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).split('\n');
  const problems = REQUIRED_FILES.filter((file) => !files.includes(file)).map((file) => `${file} missing`);
  if (!files.some((file) => file.startsWith('package/dist/'))) problems.push('package/dist/ missing');
  const manifest = JSON.parse(
    execFileSync('tar', ['-xzOf', tarball, 'package/package.json'], { encoding: 'utf8' }),
  );
  for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies']) {
    for (const [name, range] of Object.entries(manifest[field] ?? {})) {
      if (range.startsWith('workspace:')) problems.push(`${field}.${name} is still ${range}`);
    }
  }
  return problems;
}

const work = mkdtempSync(join(tmpdir(), 'cavra-release-'));
try {
  const tarballs = join(work, 'tarballs');
  const packages = readdirSync(join(root, 'packages'))
    .map((name) => join(root, 'packages', name))
    .filter((dir) => !readJson(join(dir, 'package.json')).private);
  const overrides = {};
  const problems = [];
  for (const dir of packages) {
    const { name } = readJson(join(dir, 'package.json'));
    const tarball = run(pnpm, ['pack', '--pack-destination', tarballs], dir).trim().split('\n').at(-1);
    overrides[name] = `file:${tarball}`;
    problems.push(...tarballProblems(tarball).map((problem) => `${name}: ${problem}`));
    console.log(`packed ${name} -> ${tarball}`);
  }
  if (problems.length > 0) throw new Error(`the tarballs are not publishable:\n  ${problems.join('\n  ')}`);

  const examples = readdirSync(join(root, 'examples'));
  const projects = {};
  for (const example of examples) {
    const source = join(root, 'examples', example);
    const project = join(work, 'projects', example);
    cpSync(source, project, {
      recursive: true,
      filter: (src) =>
        !src.startsWith(join(source, 'node_modules')) && !src.startsWith(join(source, '.cavra')),
    });
    // What a user copying the example does: workspace:* becomes the packages' real versions (here, the tarballs).
    const manifest = readJson(join(project, 'package.json'));
    for (const field of ['dependencies', 'devDependencies']) {
      for (const name of Object.keys(manifest[field] ?? {})) {
        if (overrides[name]) manifest[field][name] = overrides[name];
        else if (manifest[field][name].startsWith('workspace:')) {
          throw new Error(`${example} depends on ${name}, which is not a publishable package`);
        }
      }
    }
    manifest.overrides = overrides;
    writeFileSync(join(project, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], project);
    run('node', ['--test', 'test/'], project, { capture: false });
    projects[example] = project;
  }

  process.stdout.write(run(MAIN_DEMO.command[0], MAIN_DEMO.command.slice(1), projects[MAIN_DEMO.example]));
  console.log(
    `release dry run passed: ${packages.length} packages packed and checked, ${examples.length} examples (${examples.join(', ')}) installed from the tarballs and tested`,
  );
} finally {
  if (process.argv.includes('--keep')) console.log(`kept ${work} (tarballs in ${join(work, 'tarballs')})`);
  else rmSync(work, { recursive: true, force: true });
}
