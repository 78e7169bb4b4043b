#!/usr/bin/env node
// Release dry run: proof that the packages install and work outside the workspace, the way users install them.
// 1. `pnpm pack` every publishable package (workspace:^ ranges become real versions) and check each tarball: no
//    workspace: range left, no exact third-party version, repository/homepage/bugs, README, CHANGELOG, LICENSE, dist.
// 2. Publish them to a real npm registry on loopback (verdaccio, started and stopped here, with its own storage).
// 3. For every package: a fresh npm project whose .npmrc sends the @cavra scope to that registry, `npm install
//    <name>` alone, then load it as ESM and CommonJS (both builds in one process: instanceof across them), resolve
//    its shipped files through `exports`, and type-check an import of it with TypeScript, strict, as a CommonJS and
//    an ESM project under `node16` and a project under `bundler`.
// 4. For every example: copy it out, replace `workspace:*` by `^<version>` as its README says, `npm install` from
//    the same registry, and run its tests; then run the main demo.
// 5. Every README block marked `<!-- snippet: run in a new project -->` (the root README's "Put CAVRA in front of
//    Claude Code in 3 commands"), verbatim, in a new git project whose .npmrc sends the @cavra scope to that
//    registry: its `npm install` installs for real; then the hooks it set up are driven as Claude Code runs them
//    (tooling/readme-snippets/new-project.mjs: allow, deny and no-opinion answers asserted; the daemon stopped).
// Nothing is published to a public registry. Usage: node tooling/release-dry-run.mjs [--keep]
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import {
  packAll,
  publishAll,
  publishablePackages,
  root,
  run,
  scopeLine,
  startRegistry,
} from './local-registry/registry.mjs';
import { newProjectBlocks, runInNewProject } from './readme-snippets/new-project.mjs';

const MAIN_DEMO = { example: 'daemon-demo', command: ['node', 'demo.mjs'] };
const REQUIRED_FILES = [
  'package/package.json',
  'package/README.md',
  'package/CHANGELOG.md',
  'package/LICENSE',
];
// Where a consumer's TypeScript comes from: the workspace's own compiler and Node types (same versions as the
// packages are built with), so the check does not depend on what the registry serves today.
const TSC = join(root, 'node_modules/typescript/bin/tsc');
const NODE_TYPES = join(root, 'node_modules/@types/node');

const readJson = (path) => JSON.parse(readFileSync(path, 'utf8'));
const writeJson = (path, value) => writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);

/** What a user would find wrong in the tarball, if anything. */
function tarballProblems(tarball) {
  const files = run('tar', ['-tzf', tarball], root).split('\n');
  const problems = REQUIRED_FILES.filter((file) => !files.includes(file)).map((file) => `${file} missing`);
  if (!files.some((file) => file.startsWith('package/dist/'))) problems.push('package/dist/ missing');
  const manifest = JSON.parse(run('tar', ['-xzOf', tarball, 'package/package.json'], root));
  for (const field of ['repository', 'homepage', 'bugs']) {
    if (!manifest[field]) problems.push(`${field} missing`);
  }
  if (manifest.repository && !manifest.repository.directory) problems.push('repository.directory missing');
  for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies']) {
    for (const [name, range] of Object.entries(manifest[field] ?? {})) {
      if (range.startsWith('workspace:')) problems.push(`${field}.${name} is still ${range}`);
      else if (/^\d/.test(range)) problems.push(`${field}.${name} is pinned to ${range}; use a ^ range`);
    }
  }
  return problems;
}

function freshProject(dir, registry, manifest = { name: 'consumer', version: '0.0.0', private: true }) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, '.npmrc'), scopeLine(registry));
  writeJson(join(dir, 'package.json'), manifest);
}

const npmInstall = (dir, ...names) =>
  run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...names], dir);

/** Runs in the consumer: loads both builds, compares every exported class across them, resolves shipped files. */
const RUNTIME_CHECK = `
import { createRequire } from 'node:module';
const [name, ...files] = process.argv.slice(2);
const esm = await import(name);
const cjs = createRequire(import.meta.url)(name);
const problems = [];
if (Object.keys(esm).sort().join() !== Object.keys(cjs).sort().join()) problems.push('ESM and CJS export different names');
for (const [key, value] of Object.entries(esm)) {
  if (typeof value !== 'function' || !(value.prototype instanceof Error)) continue;
  if (!(Object.create(cjs[key].prototype) instanceof value)) problems.push(key + ' from CJS is not instanceof its ESM class');
  if (!(Object.create(value.prototype) instanceof cjs[key])) problems.push(key + ' from ESM is not instanceof its CJS class');
}
for (const file of files) {
  try { import.meta.resolve(name + '/' + file); createRequire(import.meta.url).resolve(name + '/' + file); }
  catch (error) { problems.push(name + '/' + file + ' is not reachable: ' + error.message); }
}
if (problems.length > 0) { console.error(problems.join('\\n')); process.exit(1); }
console.log(name + ': ESM and CJS load, ' + Object.keys(esm).length + ' exports, shipped files reachable: ' + files.join(', '));
`;

/** The shipped data files of a package (not dist), as the subpaths a user imports them by. */
function shippedFiles(dir, manifest) {
  const subpaths = [];
  for (const folder of manifest.files ?? []) {
    if (['dist', 'README.md', 'CHANGELOG.md'].includes(folder)) continue;
    for (const file of readdirSync(join(dir, folder))) subpaths.push(`${folder}/${file}`);
  }
  return subpaths;
}

const TS_MODES = {
  'node16 CommonJS': { type: 'commonjs', file: 'index.ts', module: 'node16', moduleResolution: 'node16' },
  'node16 ESM': { type: 'module', file: 'index.ts', module: 'node16', moduleResolution: 'node16' },
  bundler: { type: 'module', file: 'index.ts', module: 'esnext', moduleResolution: 'bundler' },
};

/** Type-checks `import * as api from name` as a strict TypeScript project of each kind, its libraries included. */
function typecheckConsumer(dir, name) {
  for (const [mode, { type, file, module, moduleResolution }] of Object.entries(TS_MODES)) {
    const project = join(dir, `ts-${mode.replace(/\W+/g, '-')}`);
    mkdirSync(project);
    writeJson(join(project, 'package.json'), { name: 'ts-consumer', private: true, type });
    writeFileSync(
      join(project, file),
      `import * as api from '${name}';\nexport const exported: string[] = Object.keys(api);\n`,
    );
    writeJson(join(project, 'tsconfig.json'), {
      compilerOptions: {
        strict: true,
        module,
        moduleResolution,
        target: 'es2022',
        noEmit: true,
        skipLibCheck: false,
        types: ['node'],
        typeRoots: [join(NODE_TYPES, '..')],
      },
      files: [file],
    });
    run(process.execPath, [TSC, '-p', project], project, { capture: false });
    console.log(`${name}: TypeScript strict, ${mode}: no errors`);
  }
}

function consumePackage(work, registry, { dir, manifest }) {
  const project = join(work, 'consumers', manifest.name.replace('/', '-'));
  freshProject(project, registry);
  npmInstall(project, manifest.name);
  const installed = readJson(join(project, 'node_modules', manifest.name, 'package.json')).version;
  if (installed !== manifest.version)
    throw new Error(`${manifest.name}: installed ${installed}, expected ${manifest.version}`);
  writeFileSync(join(project, 'check.mjs'), RUNTIME_CHECK);
  process.stdout.write(run('node', ['check.mjs', manifest.name, ...shippedFiles(dir, manifest)], project));
  typecheckConsumer(project, manifest.name);
}

/** Copies an example out of the repository and installs it as its README says: workspace:* → ^version. */
function consumeExample(work, registry, example, versions) {
  const source = join(root, 'examples', example);
  const project = join(work, 'examples', example);
  // What a clone holds: everything but what git ignores (node_modules, build caches, a daemon's runtime files under
  // .cavra/, whose config and pack the example holds).
  const ignored = run(
    'git',
    ['ls-files', '--others', '--ignored', '--exclude-standard', '--directory', '-z'],
    source,
  )
    .split('\0')
    .filter(Boolean);
  cpSync(source, project, {
    recursive: true,
    filter: (src) => {
      const path = relative(source, src);
      return !ignored.some(
        (entry) => path === entry || `${path}/`.startsWith(entry.endsWith('/') ? entry : `${entry}/`),
      );
    },
  });
  const manifest = readJson(join(project, 'package.json'));
  for (const field of ['dependencies', 'devDependencies']) {
    for (const [name, range] of Object.entries(manifest[field] ?? {})) {
      if (!range.startsWith('workspace:')) continue;
      if (!versions.has(name))
        throw new Error(`${example} depends on ${name}, which is not a publishable package`);
      manifest[field][name] = `^${versions.get(name)}`;
    }
  }
  writeJson(join(project, 'package.json'), manifest);
  writeFileSync(join(project, '.npmrc'), scopeLine(registry));
  npmInstall(project);
  run('node', ['--test', 'test/'], project, { capture: false });
  return project;
}

/** The README blocks to run in a new project, each with where it is. */
function readmeNewProjectBlocks() {
  const readmes = ['README.md'];
  for (const folder of ['packages', 'examples']) {
    for (const name of readdirSync(join(root, folder)).sort()) {
      if (existsSync(join(root, folder, name, 'README.md'))) readmes.push(`${folder}/${name}/README.md`);
    }
  }
  return readmes.flatMap((file) =>
    newProjectBlocks(readFileSync(join(root, file), 'utf8')).map(({ line, code }) => ({
      where: `${file}:${line}`,
      code,
    })),
  );
}

const work = mkdtempSync(join(tmpdir(), 'cavra-release-'));
let registry;
try {
  const packages = publishablePackages();
  const tarballs = packAll(join(work, 'tarballs'));
  const problems = [...tarballs].flatMap(([name, tarball]) =>
    tarballProblems(tarball).map((problem) => `${name}: ${problem}`),
  );
  if (problems.length > 0) throw new Error(`the tarballs are not publishable:\n  ${problems.join('\n  ')}`);

  registry = await startRegistry(join(work, 'registry'));
  publishAll(registry, tarballs);

  for (const pkg of packages) consumePackage(work, registry, pkg);

  const versions = new Map(packages.map(({ manifest }) => [manifest.name, manifest.version]));
  const examples = readdirSync(join(root, 'examples'));
  const projects = Object.fromEntries(
    examples.map((example) => [example, consumeExample(work, registry, example, versions)]),
  );
  process.stdout.write(run(MAIN_DEMO.command[0], MAIN_DEMO.command.slice(1), projects[MAIN_DEMO.example]));
  const blocks = readmeNewProjectBlocks();
  for (const { where, code } of blocks) {
    console.log(`$ ${where}, verbatim in a new project (@cavra from ${registry.url})`);
    const answers = await runInNewProject(code, { where, root, npmrc: scopeLine(registry) });
    console.log(`${where}: installed, set up and driven; hook answers:\n  ${answers.join('\n  ')}`);
  }
  console.log(
    `release dry run passed: ${packages.length} packages packed, checked, published to a local registry and installed ` +
      `by name alone (ESM, CJS, TypeScript node16 CJS/ESM and bundler), ${examples.length} examples (${examples.join(', ')}) ` +
      `installed from it and tested, ${blocks.length} README block(s) run verbatim in a new project`,
  );
} finally {
  await registry?.stop();
  if (process.argv.includes('--keep')) console.log(`kept ${work} (tarballs in ${join(work, 'tarballs')})`);
  else rmSync(work, { recursive: true, force: true });
}
