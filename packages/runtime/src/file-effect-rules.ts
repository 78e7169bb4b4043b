import type { RuleOutcome } from './action-evaluator.js';
import type { CompiledPolicyPack } from './compile-policy-pack.js';
import { firstHoldingPattern } from './deleted-folders.js';
import { deletedReach } from './deleted-reach.js';
import { codeVariableSet } from './exported-variables.js';
import { firstMatch, locatedPaths } from './located-paths.js';
import { quoteTarget } from './quote-target.js';
import { ruleOutcome } from './rule-outcome.js';
import { directoryChange, resolvedIn } from './working-directory.js';

/**
 * The `execute_command` rules on what a command line does beyond the words the lists match: the files its arguments
 * delete, the folders its `cd`s lead to, and the variables it sets that change what runs. Each takes the command's
 * simple commands in source order and returns the first outcome, or undefined; evaluateCommand decides where each
 * stands among the other rules.
 */
export interface CommandEffects {
  readonly part: string;
  /** Its words as parsed, leading assignments first. */
  readonly words: readonly string[];
  /** Its spellings (commandForms). */
  readonly wordForms: readonly (readonly string[])[];
  /** Paths its output redirections write. */
  readonly writes: readonly string[];
  /** Paths its arguments write (argumentEffects). */
  readonly argumentWrites: readonly string[];
  /** Paths its arguments delete (argumentEffects). */
  readonly deletes: readonly string[];
  /** The folders it may run in (workingDirectories), undefined when a `cd` before it makes that unknowable. */
  readonly directories?: readonly string[] | undefined;
}

/**
 * The first delete that reaches the file system root or a home folder (`root`: block), or the working tree itself or
 * anything outside it (`outside`: approval, asked only of a command the allow list would allow, so a command on no
 * list keeps upstream's reason), in any folder the command may run in (deletedReach says why each is decided so).
 */
export function treeDelete(
  judged: readonly CommandEffects[],
  pack: CompiledPolicyPack,
  reach: 'root' | 'outside',
): RuleOutcome | undefined {
  for (const { part, deletes, directories } of judged) {
    for (const path of deletes) {
      for (const directory of directories ?? ['.']) {
        const found = deletedReach(resolvedIn(directory, path));
        if (found === undefined || (reach === 'root') !== (found.reach === 'root')) continue;
        return reach === 'root'
          ? ruleOutcome(
              pack,
              'filesystem.write.block',
              `command ${quoteTarget(part)} deletes ${quoteTarget(found.path)}, ${found.what}, which no allow rule may cover`,
            )
          : ruleOutcome(
              pack,
              'commands.default.require_approval',
              `command ${quoteTarget(part)} deletes ${quoteTarget(found.path)}, ${found.what}: no allow rule covers it`,
            );
      }
    }
  }
  return undefined;
}

/**
 * The first file written outside the working tree, by redirection (`npm test > ../log`, `echo x >> ~/.profile`) or
 * by argument (`cp x /etc/y`), in any folder the command may run in: what deletedReach reads as outside the tree, or
 * as the file system root or a home folder, is outside it for a write too, except the tree's own folder (`cp x .`
 * writes into it). Approval, asked only of a command the allow list would allow (as for deletes): a write inside the
 * tree is decided by the filesystem lists, as a `write_file` request to the same path is.
 */
export function outsideWrite(
  judged: readonly CommandEffects[],
  pack: CompiledPolicyPack,
): RuleOutcome | undefined {
  for (const { part, writes, argumentWrites, directories } of judged) {
    for (const path of [...writes, ...argumentWrites]) {
      for (const directory of directories ?? ['.']) {
        const found = deletedReach(resolvedIn(directory, path));
        if (found === undefined || found.path === '.') continue;
        return ruleOutcome(
          pack,
          'commands.default.require_approval',
          `command ${quoteTarget(part)} writes ${quoteTarget(found.path)}, ${found.what}: no allow rule covers it`,
        );
      }
    }
  }
  return undefined;
}

/**
 * The first delete of a folder holding what `filesystem.block_write` (`block`) or `require_approval_write`
 * (`require_approval`) protects (`rm -rf .github` deletes `.github/workflows/**`), in any folder it may run in.
 */
export function heldByDeleted(
  judged: readonly CommandEffects[],
  pack: CompiledPolicyPack,
  list: 'block' | 'require_approval',
): RuleOutcome | undefined {
  const { block_write, require_approval_write } = pack.resolved.filesystem;
  const patterns = list === 'block' ? block_write : require_approval_write;
  for (const { part, deletes, directories } of judged) {
    const hit = firstHoldingPattern(locatedPaths(deletes, directories), patterns);
    if (hit === undefined) continue;
    return list === 'block'
      ? ruleOutcome(
          pack,
          'filesystem.write.block',
          `command ${quoteTarget(part)} deletes ${quoteTarget(hit.path)}, which holds what pattern '${hit.pattern}' blocks for writing (filesystem.block_write[${hit.index}])`,
        )
      : ruleOutcome(
          pack,
          'filesystem.write.require_approval',
          `command ${quoteTarget(part)} deletes ${quoteTarget(hit.path)}, which holds what pattern '${hit.pattern}' protects (filesystem.require_approval_write[${hit.index}])`,
        );
  }
  return undefined;
}

/**
 * The first command after a `cd` whose folder cannot be known (`cd -`, `pushd +1`): the paths it names cannot be
 * judged, so a person decides.
 */
export function lostDirectory(
  judged: readonly CommandEffects[],
  pack: CompiledPolicyPack,
): RuleOutcome | undefined {
  const lost = judged.find(({ directories }, index) => directories === undefined && index > 0);
  return lost
    ? ruleOutcome(
        pack,
        'commands.default.require_approval',
        `command ${quoteTarget(lost.part)} runs after a cd to a folder the policy cannot know, so the paths it names cannot be judged`,
      )
    : undefined;
}

/**
 * The first `cd` into a folder the pack protects from writes (`cd .git/hooks`): it writes nothing itself, but every
 * later relative path would name a file there (in this command line, and in the next ones of an agent whose shell
 * keeps its folder, which the engine cannot see), so an allow rule for `cd *` never covers it.
 */
export function protectedDirectoryChange(
  judged: readonly CommandEffects[],
  pack: CompiledPolicyPack,
): RuleOutcome | undefined {
  const { blockWrite, requireApprovalWrite } = pack.matchers;
  for (const { part, wordForms, directories } of judged) {
    for (const target of wordForms.map(directoryChange)) {
      if (target === undefined) continue;
      const paths = locatedPaths([target], directories);
      const hit = firstMatch(paths, blockWrite) ?? firstMatch(paths, requireApprovalWrite);
      if (hit) {
        return ruleOutcome(
          pack,
          'commands.default.require_approval',
          `command ${quoteTarget(part)} changes to ${quoteTarget(hit.path)}, where writing is protected: later relative paths would write there`,
        );
      }
    }
  }
  return undefined;
}

/**
 * The first `cd` that may leave the working tree (`cd ..`, `cd ../other-repo`, `cd /tmp/x`, `cd ~`, a bare `cd`):
 * the commands after it, in this command line and in the next ones of an agent whose shell keeps its folder (which
 * the engine cannot see), would run runners, read definition files and write paths the tree's rules were written
 * for, somewhere else (deletedReach says what counts as outside). Asked only of a command the allow list would
 * allow, so an allowed `cd *` never covers it.
 */
export function outsideDirectoryChange(
  judged: readonly CommandEffects[],
  pack: CompiledPolicyPack,
): RuleOutcome | undefined {
  for (const { part, wordForms, directories } of judged) {
    for (const target of wordForms.map(directoryChange)) {
      if (target === undefined) continue;
      for (const directory of directories ?? ['.']) {
        const found = deletedReach(resolvedIn(directory, target));
        if (found === undefined || found.path === '.') continue;
        return ruleOutcome(
          pack,
          'commands.default.require_approval',
          `command ${quoteTarget(part)} changes to ${quoteTarget(found.path)}, ${found.what}: the commands after it would act outside the tree`,
        );
      }
    }
  }
  return undefined;
}

/**
 * The first variable set that changes what runs (codeVariableSet): `export NODE_OPTIONS=… && npm test` is judged as
 * `NODE_OPTIONS=… npm test`, never allowed unasked whatever the allow list says.
 */
export function codeVariableChange(
  judged: readonly CommandEffects[],
  pack: CompiledPolicyPack,
): RuleOutcome | undefined {
  for (const { part, words, wordForms } of judged) {
    const variable = codeVariableSet(words, wordForms);
    if (variable) {
      return ruleOutcome(
        pack,
        'commands.default.require_approval',
        `command ${quoteTarget(part)} sets ${variable.name}, which changes ${variable.changes}: no allow rule covers it`,
      );
    }
  }
  return undefined;
}
