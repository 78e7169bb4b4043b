import type { RuleOutcome } from './action-evaluator.js';
import type { CompiledPolicyPack } from './compile-policy-pack.js';
import {
  gitPushArguments,
  type PushDestinations,
  readPushArguments,
  refspecDestination,
} from './git-refspec.js';
import { pushOutcome } from './git-rules.js';
import { programName, subcommandEnd } from './inner-commands.js';
import { EXACT_LONG, firstOption, GETOPT, operands, optionValues } from './option-words.js';
import { quoteTarget } from './quote-target.js';

/**
 * Ways a command changes a protected branch, publishes a release or sends the repository elsewhere without a
 * `git push` the push rules read: merging or approving a pull request through the hosting CLI or its API, GitLab's
 * and Gerrit's push options that merge on the server, pushes to a URL or a path instead of a configured remote,
 * changing where a remote points, and tags (release pipelines publish them). Knowledge as data, one rule per
 * command with the manual that says so, read by reachingMain.
 *
 * What such a command reaches is judged like a push: when the branch it merges into is named, by the pack's
 * protected branches; when it is not known (a pull request's base), as a protected branch is. Whatever else it does
 * needs approval: a human decides, not the agent.
 */
export type Reach =
  /** It updates these branches on the server (or ones that cannot be known): judged as a push to them. */
  | { readonly kind: 'push'; readonly destinations: PushDestinations; readonly why: string }
  | { readonly kind: 'ask'; readonly why: string };

type ReachRule =
  | {
      readonly kind: 'ask';
      readonly programs: readonly string[];
      readonly subcommand: readonly string[];
      readonly options?: readonly string[];
      readonly why: string;
    }
  | {
      readonly kind: 'read';
      readonly programs: readonly string[];
      readonly subcommand: readonly string[];
      readonly read: (form: readonly string[], from: number) => Reach | undefined;
    };

const MERGES = 'merges a pull request into its base branch';
const REMOTE = 'changes where git fetches and pushes, which may send the repository elsewhere';
const TAGS = 'creates or pushes tags, which release pipelines publish';

const REACH_RULES: readonly ReachRule[] = [
  // gh pr merge: "--admin: Use administrator privileges to merge a pull request that does not meet requirements"
  // bypasses the base branch's protection; any merge (also --auto, "when all requirements are met") lands on it.
  { kind: 'read', programs: ['gh'], subcommand: ['pr', 'merge'], read: ghMerge },
  // gh pr review "-a, --approve": the agent approving a pull request is a review nobody made.
  {
    kind: 'ask',
    programs: ['gh'],
    subcommand: ['pr', 'review'],
    options: ['-a', '--approve'],
    why: 'approves a pull request, which a reviewer does',
  },
  // gh api "-X, --method (default GET)", "-f/--raw-field, -F/--field: ... the default HTTP request method is POST",
  // "--input".
  { kind: 'read', programs: ['gh', 'glab'], subcommand: ['api'], read: ghApi },
  // gh release create/edit/upload/delete, gh repo sync ("Sync destination repository from source repository",
  // `--force` overwrites the branch), gh workflow run.
  ...['create', 'edit', 'upload', 'delete'].map(
    (sub): ReachRule => ({
      kind: 'ask',
      programs: ['gh'],
      subcommand: ['release', sub],
      why: 'publishes a release',
    }),
  ),
  {
    kind: 'ask',
    programs: ['gh'],
    subcommand: ['repo', 'sync'],
    why: 'overwrites a branch of a repository on the server',
  },
  { kind: 'ask', programs: ['gh'], subcommand: ['workflow', 'run'], why: 'starts a workflow on the server' },
  // glab mr merge / approve (GitLab CLI), glab release create.
  { kind: 'ask', programs: ['glab'], subcommand: ['mr', 'merge'], why: MERGES },
  {
    kind: 'ask',
    programs: ['glab'],
    subcommand: ['mr', 'approve'],
    why: 'approves a merge request, which a reviewer does',
  },
  { kind: 'ask', programs: ['glab'], subcommand: ['release', 'create'], why: 'publishes a release' },
  // git-remote(1) "add", "set-url", "rename", "set-branches"; git-config(1) is not allowed unasked anyway.
  ...['add', 'set-url', 'rename'].map(
    (sub): ReachRule => ({ kind: 'ask', programs: ['git'], subcommand: ['remote', sub], why: REMOTE }),
  ),
  // git-send-pack(1), git-http-push(1): push refs without git push.
  { kind: 'ask', programs: ['git'], subcommand: ['send-pack'], why: 'pushes refs without git push' },
  { kind: 'ask', programs: ['git'], subcommand: ['http-push'], why: 'pushes refs without git push' },
  // git-subtree(1) "push -P <prefix> <repository> <refspec>": the refspec's destination is a branch there.
  { kind: 'read', programs: ['git'], subcommand: ['subtree', 'push'], read: subtreePush },
  // git-svn(1) "dcommit", git-p4(1) "submit": commit to another version control system's branch.
  { kind: 'ask', programs: ['git'], subcommand: ['svn', 'dcommit'], why: 'commits to a Subversion branch' },
  { kind: 'ask', programs: ['git'], subcommand: ['p4', 'submit'], why: 'submits to a Perforce depot' },
  // git-tag(1): with a name it creates (or with -f moves) a tag; -l/--list, -v/--verify and -d/--delete (local)
  // do not publish anything.
  { kind: 'read', programs: ['git'], subcommand: ['tag'], read: gitTag },
  // git-push(1) "-o, --push-option", "--tags", "--follow-tags", "<repository>: a URL or the name of a remote".
  { kind: 'read', programs: ['git'], subcommand: ['push'], read: gitPushReach },
];

/** What one spelling of a simple command reaches beyond the push rules, or undefined. */
export function reachingMain(form: readonly string[]): Reach | undefined {
  const name = programName(form[0] ?? '');
  for (const rule of REACH_RULES) {
    if (!rule.programs.includes(name)) continue;
    const from = subcommandEnd(form, rule.subcommand);
    if (from < 0) continue;
    if (rule.kind === 'read') {
      const reach = rule.read(form, from);
      if (reach) return reach;
    } else if (
      rule.options === undefined ||
      firstOption(form, rule.options, from, readingOf(name)) !== undefined
    ) {
      return { kind: 'ask', why: rule.why };
    }
  }
  return undefined;
}

/** git reads prefixes of long options; gh and glab (pflag) do not. */
function readingOf(program: string) {
  return program === 'git' ? GETOPT : EXACT_LONG;
}

/** The decision on a command's reach: a push outcome that blocks, or approval. */
export function reachOutcome(
  reach: Reach,
  pack: CompiledPolicyPack,
  part: string,
): RuleOutcome | { why: string } {
  if (reach.kind === 'ask') return { why: reach.why };
  const outcome = pushOutcome(reach.destinations, pack, part);
  return outcome.decision === 'block' ? outcome : { why: reach.why };
}

function ghMerge(form: readonly string[], from: number): Reach {
  if (firstOption(form, ['--admin'], from, EXACT_LONG) !== undefined) {
    const why = "'gh pr merge --admin' merges past the base branch's protection";
    return { kind: 'push', destinations: { known: false, why }, why };
  }
  return { kind: 'ask', why: MERGES };
}

const WRITE_METHOD = /^(POST|PUT|PATCH|DELETE)$/i;

function ghApi(form: readonly string[], from: number): Reach | undefined {
  const [method = ''] = optionValues(form, ['-X', '--method'], from, EXACT_LONG);
  const fields =
    firstOption(form, ['-f', '-F', '--field', '--raw-field', '--input'], from, EXACT_LONG) !== undefined;
  if (!WRITE_METHOD.test(method) && !(method === '' && fields)) return undefined;
  const [endpoint = ''] = operands(
    form,
    [
      '-X',
      '--method',
      '-f',
      '-F',
      '--field',
      '--raw-field',
      '--input',
      '-H',
      '--header',
      '-q',
      '--jq',
      '-t',
      '--template',
      '--hostname',
      '--cache',
      '-p',
      '--preview',
    ],
    from,
  );
  // REST "Update a reference": PATCH/DELETE repos/{owner}/{repo}/git/refs/heads/{branch}.
  const ref = /git\/refs\/heads\/(.+)$/.exec(endpoint)?.[1];
  if (ref !== undefined) {
    return {
      kind: 'push',
      destinations: { known: true, branches: [ref] },
      why: `updates the branch ${quoteTarget(ref)} through the GitHub API`,
    };
  }
  return {
    kind: 'ask',
    why: 'changes the repository through the GitHub API (merges, refs, contents, settings)',
  };
}

function subtreePush(form: readonly string[], from: number): Reach {
  const [, refspec] = operands(form, ['-P', '--prefix', '-m', '--message'], from);
  const destinations = refspec === undefined ? undefined : refspecDestination(refspec);
  return {
    kind: 'push',
    destinations: destinations ?? { known: false, why: 'git subtree push names no branch' },
    why: 'pushes a subtree to a branch',
  };
}

function gitTag(form: readonly string[], from: number): Reach | undefined {
  const listing = firstOption(form, ['-l', '--list', '-v', '--verify', '-d', '--delete'], from) !== undefined;
  const named = operands(
    form,
    [
      '-m',
      '-F',
      '-u',
      '--message',
      '--file',
      '--local-user',
      '--sort',
      '--format',
      '--contains',
      '--no-contains',
      '--merged',
      '--no-merged',
      '--points-at',
      '--cleanup',
      '-n',
    ],
    from,
  );
  return !listing && named.length > 0 ? { kind: 'ask', why: TAGS } : undefined;
}

// GitLab "Push options": merge_request.merge_when_pipeline_succeeds / auto_merge merge the request on the server,
// into merge_request.target (the default branch when not given); Gerrit "%submit" / `-o submit` submits the change.
const AUTO_MERGE = /^merge_request\.(merge_when_pipeline_succeeds|auto_merge)(=|$)|^submit$/i;
// A version-like ref name (`v1.0`, `1.2.3`, `v2.0.0-rc.1`): most likely a tag, which git push pushes by name.
const VERSION = /^v?\d+(\.\d+)+([-+][\w.]+)?$/;

function gitPushReach(form: readonly string[]): Reach | undefined {
  const args = gitPushArguments(form);
  if (args === undefined) return undefined;
  const read = readPushArguments(args);
  if (
    read.pushOptions.some((option) => AUTO_MERGE.test(option)) ||
    read.refspecs.some((spec) => spec.includes('%submit'))
  ) {
    const target = read.pushOptions.find((option) => /^merge_request\.target=/i.test(option))?.split('=')[1];
    const submitted = read.refspecs
      .map((spec) => /refs\/for\/([^%]+)%/.exec(spec)?.[1])
      .filter((branch) => branch !== undefined);
    const branches = [...(target ? [target] : []), ...submitted];
    const why = 'asks the server to merge the pushed change when its checks pass';
    return {
      kind: 'push',
      destinations:
        branches.length > 0
          ? { known: true, branches }
          : { known: false, why: 'a push option merges into the default branch on the server' },
      why,
    };
  }
  // GitLab "Push options": ci.variable and ci.input set what the pipeline the push starts runs with.
  const ci = read.pushOptions.find((option) => /^ci\.(variable|input)(=|$)/i.test(option));
  if (ci !== undefined)
    return { kind: 'ask', why: `sets ${quoteTarget(ci)} for the pipeline the push starts` };
  const repository = read.repository;
  if (repository !== undefined && !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(repository)) {
    return {
      kind: 'ask',
      why: `pushes to ${quoteTarget(repository)}, a URL or path rather than a configured remote, which may send the repository elsewhere`,
    };
  }
  const tagged = read.refspecs.some((spec) => {
    const destination = spec.replace(/^\+/, '').split(':').at(-1) ?? '';
    return destination.startsWith('refs/tags/') || VERSION.test(destination.replace(/^tags\//, ''));
  });
  if (read.tags || read.followTags || tagged) return { kind: 'ask', why: TAGS };
  return undefined;
}
