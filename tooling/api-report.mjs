#!/usr/bin/env node
// API reports (@microsoft/api-extractor): each published package's public API, from its built declarations, in
// `etc/<package>.api.md`, committed. A change to the public API then shows in review as a change to that file.
//   node tooling/api-report.mjs [DIR...]          check: fails when a report is missing or differs from the build
//   node tooling/api-report.mjs --update [DIR...] write the reports (`pnpm api:update`, after a build)
// Without DIR: every publishable package under packages/ (the current package when run from one, as `check:api`).
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Extractor, ExtractorConfig } from '@microsoft/api-extractor';

const root = resolve(fileURLToPath(import.meta.url), '..', '..');
const update = process.argv.includes('--update');
const named = process.argv.slice(2).filter((arg) => !arg.startsWith('--'));
const readJson = (path) => JSON.parse(readFileSync(path, 'utf8'));

function packageDirs() {
  if (named.length > 0) return named.map((dir) => resolve(dir));
  if (existsSync(join(process.cwd(), 'package.json')) && process.cwd() !== root) return [process.cwd()];
  return readdirSync(join(root, 'packages'))
    .map((name) => join(root, 'packages', name))
    .filter((dir) => existsSync(join(dir, 'package.json')) && !readJson(join(dir, 'package.json')).private);
}

/**
 * The entry points a package publishes with types: `.` (report `etc/<name>.api.md`) and each code subpath such as
 * `./conformance` (report `etc/<name>-conformance.api.md`); data subpaths (`./schema/*`) have no API.
 */
function entryPoints(manifest) {
  const unscoped = basename(manifest.name);
  return Object.entries(manifest.exports ?? { '.': {} })
    .filter(([subpath, target]) => subpath === '.' || typeof target?.import?.types === 'string')
    .map(([subpath, target]) => ({
      types: subpath === '.' ? 'dist/index.d.ts' : target.import.types,
      reportFileName: subpath === '.' ? `${unscoped}.api.md` : `${unscoped}-${basename(subpath)}.api.md`,
    }));
}

/** The reports of one package; returns the problems, if any. */
function reports(dir) {
  const manifest = readJson(join(dir, 'package.json'));
  if (!manifest.scripts?.['check:api']) {
    return [
      `${manifest.name}: no "check:api" script, so CI does not check its API report; add "check:api": "node ../../tooling/api-report.mjs"`,
    ];
  }
  return entryPoints(manifest).map((entryPoint) => report(dir, manifest, entryPoint));
}

/** The report of one entry point; returns the problem, if any. */
function report(dir, manifest, { types, reportFileName }) {
  const entry = join(dir, types);
  if (!existsSync(entry)) return `${manifest.name}: ${entry} is missing; build first`;
  mkdirSync(join(dir, 'etc'), { recursive: true });
  const config = ExtractorConfig.prepare({
    configObject: {
      projectFolder: dir,
      mainEntryPointFilePath: entry,
      compiler: {
        overrideTsconfig: {
          compilerOptions: {
            module: 'nodenext',
            moduleResolution: 'nodenext',
            strict: true,
            skipLibCheck: true,
            types: ['node'],
          },
        },
      },
      apiReport: {
        enabled: true,
        reportFolder: join(dir, 'etc'),
        reportTempFolder: join(dir, 'node_modules/.cache/api-report'),
        reportFileName,
      },
      docModel: { enabled: false },
      dtsRollup: { enabled: false },
      tsdocMetadata: { enabled: false },
      newlineKind: 'lf',
      messages: {
        // The reports are for review; TSDoc style and release tags are not enforced here.
        extractorMessageReporting: {
          default: { logLevel: 'warning' },
          'ae-missing-release-tag': { logLevel: 'none', addToApiReportFile: false },
          'ae-undocumented': { logLevel: 'none', addToApiReportFile: false },
          'ae-unresolved-link': { logLevel: 'none', addToApiReportFile: false },
          'ae-forgotten-export': { logLevel: 'none', addToApiReportFile: true },
        },
        tsdocMessageReporting: { default: { logLevel: 'none' } },
      },
    },
    configObjectFullPath: join(dir, 'api-extractor.json'),
    packageJsonFullPath: join(dir, 'package.json'),
  });
  const result = Extractor.invoke(config, { localBuild: update, showVerboseMessages: false });
  if (result.succeeded) return undefined;
  return result.apiReportChanged
    ? `${manifest.name}: the public API differs from etc/${reportFileName}; if the change is meant, run \`pnpm api:update\` and commit the report (and a changeset)`
    : `${manifest.name}: api-extractor failed (${result.errorCount} errors)`;
}

const problems = packageDirs()
  .flatMap(reports)
  .filter((problem) => problem !== undefined);
if (problems.length > 0) {
  console.error(problems.join('\n'));
  process.exit(1);
}
