import { GIT_GLOBAL_VALUE_OPTIONS } from './git-refspec.js';
import {
  EXACT_LONG,
  firstOption,
  GETOPT,
  type OptionReading,
  operands,
  optionValues,
  SINGLE_DASH,
} from './option-words.js';
import { quoteTarget } from './quote-target.js';

/**
 * Commands that run other commands, and where in their words the inner command is: knowledge as data, one rule per
 * program (and subcommand), each with the manual that says so, read by innerCommands and opaqueCode (for the
 * rules) and innerStart (for commandForms). An inner command that can be read is judged as a command like any other (`find .
 * -exec sudo reboot \;` is `sudo reboot`, `pnpm exec git push origin HEAD:main` is that push); one that cannot be
 * read (an awk program calling system(), `node -e`, `make --eval`) makes the command ask for approval.
 */
export interface InnerReading {
  /**
   * Shell text the command runs, parsed and judged like the command itself. `exact` when the text is known to be
   * the inner command (`sh -c 'x'`, `git rebase -x 'x'`), so the allow list decides its parts too; otherwise a
   * guess among the runs of words after a program whose options are not known (`watch -n 1 x`), which only the
   * block and approval lists, file and push rules see.
   */
  readonly scripts: readonly { readonly text: string; readonly exact: boolean }[];
  /** Commands given as words (`find -exec x {} ;`), judged like a simple command. */
  readonly commands: readonly (readonly string[])[];
  /** Why the command runs code the policy cannot read, if it does. */
  readonly opaque: string | undefined;
}

/**
 * Where one program keeps its inner command.
 * - `rest`: the words after the program (or its subcommand) are a command; its own options are not known, so each
 *   run of words from every later word on may be it (`nice -n 5 sudo x` holds `sudo x`). Read by commandForms.
 * - `rest-shell`: as `rest`, and the program joins those words into shell text (`watch`, `ssh host cmd`), or runs
 *   one of them as shell text (`trap 'x' EXIT`).
 * - `script`: the value of these options is shell text (`git rebase -x 'npm test'`); with `flag`, the option is a
 *   flag and the text is the word after the option group (`bash -lc 'x'`).
 * - `words`: the words after one of these options, up to a terminator, are a command (`find -exec x {} ;`).
 * - `opaque`: these options (`+` for any word starting with `+`) run code the policy cannot read.
 * - `program`: the program's first operand (or the value of `textOptions`) is code in another language, safe only
 *   when it matches `safe` or holds none of `unsafe`.
 * - `assignments`: a `NAME=value` operand replaces a variable the program's recipes run (`make SHELL=x`).
 * - `always`: running the program (subcommand) at all runs code the policy cannot read.
 * - `git-config`: git's global `-c <name>=<value>` and `--config-env`: a name on GIT_COMMAND_KEYS gives shell text,
 *   and any name not on GIT_SAFE_KEYS runs or reaches what the policy cannot see (see there).
 */
type Where =
  | { readonly kind: 'rest' | 'rest-shell' }
  | { readonly kind: 'script'; readonly options: readonly string[]; readonly flag?: boolean }
  | { readonly kind: 'words'; readonly options: readonly string[] }
  | { readonly kind: 'opaque'; readonly options: readonly string[]; readonly why: string }
  | {
      readonly kind: 'program';
      readonly valued: readonly string[];
      readonly textOptions: readonly string[];
      readonly safe?: RegExp;
      readonly unsafe?: RegExp;
      readonly why: string;
    }
  | { readonly kind: 'assignments' | 'always'; readonly why: string }
  | { readonly kind: 'git-config' };

interface InnerRule {
  /** Program names as run (base name; a version suffix is dropped: `python3.12` is `python`). */
  readonly programs: readonly string[];
  /** The first positional words after the program's global options, when the rule is for a subcommand. */
  readonly subcommand?: readonly string[];
  readonly where: Where;
  /** How the program reads its options (GETOPT when not given). */
  readonly reading?: OptionReading;
}

const FIND_EXEC = ['-exec', '-execdir', '-ok', '-okdir'];
const RUNNERS_EXEC = ['npm', 'pnpm', 'yarn', 'yarnpkg', 'bun'];
const INTERPRETER = 'feeds code to an interpreter, which the policy cannot read';

const INNER_RULES: readonly InnerRule[] = [
  // bash(1) "SHELL BUILTIN COMMANDS": builtin, command, exec; "Coprocesses": coproc; "Pipelines": time.
  { programs: ['builtin', 'command', 'exec', 'coproc', 'time'], where: { kind: 'rest' } },
  // env(1) "env [OPTION]... [NAME=VALUE]... [COMMAND [ARG]...]"; -S splits a string into the command's words.
  { programs: ['env'], where: { kind: 'rest' } },
  { programs: ['env'], where: { kind: 'script', options: ['-S', '--split-string'] } },
  // nice(1), nohup(1), setsid(1), stdbuf(1), timeout(1), chroot(8), taskset(1), ionice(1), chrt(1), unshare(1),
  // nsenter(1), runuser(1), flock(1), strace(1), ltrace(1), valgrind(1), caffeinate(8), systemd-run(1),
  // xvfb-run(1), dbus-run-session(1), firejail(1): "COMMAND [ARG]..." after their own options.
  {
    programs: [
      'nice',
      'nohup',
      'setsid',
      'stdbuf',
      'timeout',
      'chroot',
      'taskset',
      'ionice',
      'chrt',
      'unshare',
      'nsenter',
      'runuser',
      'flock',
      'strace',
      'ltrace',
      'valgrind',
      'caffeinate',
      'systemd-run',
      'xvfb-run',
      'dbus-run-session',
      'firejail',
      'entr',
      'unbuffer',
      'chronic',
      'sem',
      'proxychains',
      'proxychains4',
      'torsocks',
      'faketime',
      'fakeroot',
      'eatmydata',
      'ccache',
      'sccache',
      'distcc',
      'catchsegv',
    ],
    where: { kind: 'rest' },
  },
  // entr(1), unbuffer(1), chronic(1), sem(1), proxychains(1), torsocks(1), faketime(1), fakeroot(1),
  // eatmydata(1), ccache(1), sccache, distcc(1), catchsegv(1): likewise "command [args]" after their options.
  // bash(1) "eval [arg ...]: The args are read and concatenated together into a single command", "trap [arg]
  // [sigspec ...]: arg is read and executed when the shell receives a signal"; tmux(1) new-session
  // "shell-command", screen(1) "screen [-opts] [cmd [args]]".
  { programs: ['eval', 'trap', 'tmux', 'screen'], where: { kind: 'rest-shell' } },
  // sudo(8), doas(1): run COMMAND as another user. busybox(1): the first operand names the applet it runs.
  { programs: ['sudo', 'doas', 'busybox'], where: { kind: 'rest' } },
  // xargs(1): "xargs [options] [command [initial-arguments]]". parallel(1): the command is run by a shell.
  { programs: ['xargs'], where: { kind: 'rest' } },
  { programs: ['parallel'], where: { kind: 'rest-shell' } },
  // watch(1): "command is given to sh -c". ssh(1): "If a command is specified, it is executed on the remote host"
  // (joined with spaces, run by the remote user's shell); -o ProxyCommand/LocalCommand and -F run local commands.
  { programs: ['watch', 'ssh'], where: { kind: 'rest-shell' } },
  {
    programs: ['ssh', 'scp', 'sftp'],
    where: {
      kind: 'opaque',
      options: ['-o', '-F'],
      why: 'sets ssh options that may run local commands (ProxyCommand, LocalCommand)',
    },
  },
  // sh(1) / bash(1) "-c: commands are read from the first non-option argument command_string".
  {
    programs: ['sh', 'bash', 'dash', 'zsh', 'ksh', 'mksh', 'ash', 'fish'],
    where: { kind: 'script', options: ['-c'], flag: true },
  },
  // cmd /? "/C Carries out the command specified by string and then terminates", "/K ... and remains".
  { programs: ['cmd', 'cmd.exe'], where: { kind: 'rest-shell' } },
  // su(1) "-c, --command=command", script(1) "-c, --command command", flock(1) "-c, --command command".
  {
    programs: ['su', 'script', 'flock'],
    where: { kind: 'script', options: ['-c', '--command', '--session-command'] },
  },
  // find(1) "-exec command ;", "-exec command {} +", "-execdir", "-ok", "-okdir".
  { programs: ['find'], where: { kind: 'words', options: FIND_EXEC }, reading: SINGLE_DASH },
  // git(1) "-c <name>=<value>", "--config-env=<name>=<envvar>".
  { programs: ['git'], where: { kind: 'git-config' } },
  // git-rebase(1) "-x <cmd>, --exec <cmd>: Append exec <cmd> after each line creating a commit".
  { programs: ['git'], subcommand: ['rebase'], where: { kind: 'script', options: ['-x', '--exec'] } },
  // git-fetch(1), git-pull(1), git-clone(1) "-u", git-ls-remote(1) "-u": "--upload-pack <upload-pack>" names the
  // program run for the other end (locally for local and ssh transports, through a shell).
  ...['fetch', 'pull', 'fetch-pack'].map(
    (sub): InnerRule => ({
      programs: ['git'],
      subcommand: [sub],
      where: { kind: 'script', options: ['--upload-pack', '--exec'] },
    }),
  ),
  ...['clone', 'ls-remote'].map(
    (sub): InnerRule => ({
      programs: ['git'],
      subcommand: [sub],
      where: { kind: 'script', options: ['-u', '--upload-pack'] },
    }),
  ),
  // git-archive(1) "--exec=<git-upload-archive>"; git-push(1), git-send-pack(1) "--receive-pack", "--exec".
  ...['archive', 'push', 'send-pack'].map(
    (sub): InnerRule => ({
      programs: ['git'],
      subcommand: [sub],
      where: { kind: 'script', options: ['--receive-pack', '--exec'] },
    }),
  ),
  // git-submodule(1) "foreach [--recursive] <command>: evaluates an arbitrary shell command in each submodule".
  { programs: ['git'], subcommand: ['submodule', 'foreach'], where: { kind: 'rest-shell' } },
  // git-bisect(1) "git bisect run <cmd> [<arg>...]".
  { programs: ['git'], subcommand: ['bisect', 'run'], where: { kind: 'rest' } },
  // git-difftool(1) "-x <command>, --extcmd=<command>".
  { programs: ['git'], subcommand: ['difftool'], where: { kind: 'script', options: ['-x', '--extcmd'] } },
  // git-filter-branch(1): each filter "is evaluated in the shell context using the eval command".
  {
    programs: ['git'],
    subcommand: ['filter-branch'],
    where: {
      kind: 'script',
      options: [
        '--env-filter',
        '--tree-filter',
        '--index-filter',
        '--parent-filter',
        '--msg-filter',
        '--commit-filter',
        '--tag-name-filter',
      ],
    },
  },
  // git-grep(1) "-O[<pager>], --open-files-in-pager[=<pager>]".
  {
    programs: ['git'],
    subcommand: ['grep'],
    where: { kind: 'script', options: ['-O', '--open-files-in-pager'] },
  },
  // git(1) "--exec-path[=<path>]: Path to wherever your core Git programs are installed".
  {
    programs: ['git'],
    where: { kind: 'opaque', options: ['--exec-path'], why: 'runs git programs from another directory' },
    // git.c reads its global options exactly (not with parse-options): `git rebase --exec=x` is not this one.
    reading: EXACT_LONG,
  },
  // rg(1) "--pre=COMMAND: For each input PATH, this flag causes ripgrep to search the standard output of COMMAND PATH".
  { programs: ['rg'], where: { kind: 'script', options: ['--pre'] }, reading: EXACT_LONG },
  // sort(1) "--compress-program=PROG".
  { programs: ['sort'], where: { kind: 'script', options: ['--compress-program'] } },
  // tar(1) "-I, --use-compress-program=COMMAND", "--to-command=COMMAND", "-F, --info-script=COMMAND",
  // "--rsh-command=COMMAND", "--checkpoint-action=exec=COMMAND".
  {
    programs: ['tar'],
    where: {
      kind: 'script',
      options: [
        '-I',
        '--use-compress-program',
        '--to-command',
        '-F',
        '--info-script',
        '--new-volume-script',
        '--rsh-command',
      ],
    },
  },
  {
    programs: ['tar'],
    where: { kind: 'opaque', options: ['--checkpoint-action'], why: 'runs a command at tar checkpoints' },
  },
  // rsync(1) "-e, --rsh=COMMAND", "--rsync-path=PROGRAM"; zip(1) "-TT cmd, --unzip-command cmd"; man(1) "-P pager".
  { programs: ['rsync'], where: { kind: 'script', options: ['-e', '--rsh', '--rsync-path'] } },
  { programs: ['zip'], where: { kind: 'script', options: ['-TT', '--unzip-command'] } },
  { programs: ['man'], where: { kind: 'script', options: ['-P', '--pager', '-H', '--html'] } },
  // make(1) "--eval=string: Evaluate string as makefile syntax" (recipes run in a shell), "-f file", "-C dir";
  // "Overriding Variables" in the GNU make manual: `make SHELL=x` or `CC=x` changes the commands recipes run.
  {
    programs: ['make', 'gmake'],
    where: {
      kind: 'opaque',
      options: ['-E', '--eval'],
      why: 'evaluates makefile text given on the command line, whose recipes the policy cannot read',
    },
  },
  {
    programs: ['make', 'gmake'],
    where: {
      kind: 'assignments',
      why: 'sets a make variable on the command line, which replaces what its recipes run',
    },
  },
  // go(1) "go help testflag": "-exec xprog"; "go help build": "-toolexec 'cmd args'"; go-vet "-vettool=prog".
  {
    programs: ['go'],
    where: {
      kind: 'script',
      options: ['-exec', '--exec', '-toolexec', '--toolexec', '-vettool', '--vettool'],
    },
    reading: SINGLE_DASH,
  },
  // The Cargo Book "Command-line overrides": `--config KEY=VALUE|PATH` sets any configuration, among which
  // build.rustc-wrapper, build.rustc and target.<triple>.runner name programs cargo runs.
  {
    programs: ['cargo'],
    where: {
      kind: 'opaque',
      options: ['--config'],
      why: 'sets cargo configuration, which names programs cargo runs (build.rustc-wrapper, target.<triple>.runner)',
    },
    reading: EXACT_LONG,
  },
  // npm-exec(1) "npm exec -- <pkg>[@<version>] [args...]", "-c, --call: a custom command to be run along with
  // the installed packages" (shell text), pnpm exec ("Execute a shell command in scope of a project", -c/
  // --shell-mode runs it in a shell), yarn exec, bun x; npx(1), pnpx, bunx; corepack(8) runs the package manager.
  { programs: RUNNERS_EXEC, subcommand: ['exec'], where: { kind: 'rest-shell' } },
  { programs: ['npm', 'bun'], subcommand: ['x'], where: { kind: 'rest-shell' } },
  { programs: ['npx', 'pnpx', 'bunx'], where: { kind: 'rest-shell' } },
  { programs: ['corepack'], where: { kind: 'rest' } },
  // pnpm dlx / yarn dlx ("Fetches a package from the registry ... and runs"), npm init / create <initializer>.
  ...['dlx', 'create', 'init'].map(
    (sub): InnerRule => ({
      programs: ['pnpm', 'yarn', 'yarnpkg', 'npm', 'bun'],
      subcommand: [sub],
      where: { kind: 'always', why: 'downloads a package and runs it' },
    }),
  ),
  // awk(1p) / the GNU awk manual: system(), `cmd | getline`, `print | cmd` and `print > file` run commands and
  // write files, getline/ARGV read files the words do not name, ENVIRON/PROCINFO hold the environment, @load and
  // -f/-i/-l/-E load code.
  {
    programs: ['awk', 'gawk', 'mawk', 'nawk'],
    where: {
      kind: 'program',
      valued: [
        '-F',
        '-v',
        '-f',
        '-E',
        '-i',
        '-l',
        '--field-separator',
        '--assign',
        '--file',
        '--exec',
        '--include',
        '--load',
      ],
      textOptions: ['-e', '--source'],
      unsafe: /system|getline|[|>]|ENVIRON|PROCINFO|ARGV|ARGC|@/,
      why: 'runs an awk program that may run commands, write files or read the environment',
    },
  },
  {
    programs: ['awk', 'gawk', 'mawk', 'nawk'],
    where: {
      kind: 'opaque',
      options: ['-f', '--file', '-E', '--exec', '-i', '--include', '-l', '--load'],
      why: 'runs an awk program from a file',
    },
  },
  // The GNU sed manual: the `e` command and the `e` flag of `s` run commands, `w`/`W` and the `w` flag write
  // files, `r`/`R` read them; a script made of printing, deleting and substituting commands does none of these.
  {
    programs: ['sed', 'gsed'],
    where: {
      kind: 'program',
      valued: ['-e', '-f', '-l', '--expression', '--file', '--line-length'],
      textOptions: ['-e', '--expression'],
      safe: sedScript(),
      why: 'runs a sed script that may run commands, read or write files',
    },
  },
  {
    programs: ['sed', 'gsed'],
    where: { kind: 'opaque', options: ['-f', '--file'], why: 'runs a sed script from a file' },
  },
  // perlrun(1) "-e", python(1) "-c", node(1) "-e, --eval", "-p, --print", ruby(1) "-e", php(1) "-r", lua(1) "-e",
  // Rscript(1) "-e", bun "--eval", osascript(1) "-e", pwsh "-Command", "-EncodedCommand"; a lone `-` reads the
  // program from standard input (a heredoc the policy does not judge).
  {
    programs: ['perl'],
    where: { kind: 'opaque', options: ['-e', '-E', '-'], why: INTERPRETER },
    reading: EXACT_LONG,
  },
  {
    programs: ['python', 'pypy'],
    where: { kind: 'opaque', options: ['-c', '-'], why: INTERPRETER },
    reading: EXACT_LONG,
  },
  {
    programs: ['node', 'nodejs', 'bun'],
    where: { kind: 'opaque', options: ['-e', '--eval', '-p', '--print', '-'], why: INTERPRETER },
    reading: EXACT_LONG,
  },
  {
    programs: ['ruby', 'lua', 'luajit', 'rscript', 'osascript'],
    where: { kind: 'opaque', options: ['-e', '-'], why: INTERPRETER },
    reading: EXACT_LONG,
  },
  {
    programs: ['php'],
    where: { kind: 'opaque', options: ['-r', '-'], why: INTERPRETER },
    reading: EXACT_LONG,
  },
  { programs: ['deno'], subcommand: ['eval'], where: { kind: 'always', why: INTERPRETER } },
  {
    programs: ['pwsh', 'powershell', 'powershell.exe', 'pwsh.exe'],
    where: {
      kind: 'opaque',
      options: ['-c', '-command', '-Command', '-encodedcommand', '-EncodedCommand', '-ec'],
      why: INTERPRETER,
    },
  },
  // vim(1) "-c {command}", "--cmd {command}", "+{command}", "-S {file}", "-s {scriptin}", "-e"/"-E" (Ex mode
  // reading commands from standard input); emacs(1) "--eval", "-l file", "-f func";
  // less(1) "+cmd: the remainder of that option is taken to be an initial command" (`!` runs a shell command),
  // "-k keyfile, --lesskey-file" binds keys to commands.
  {
    programs: ['vim', 'vi', 'nvim', 'ex', 'view', 'vimdiff', 'gvim', 'rvim'],
    where: {
      kind: 'opaque',
      options: ['-c', '--cmd', '-S', '-s', '-e', '-E', '+'],
      why: 'starts an editor with commands that may run shell commands',
    },
  },
  {
    programs: ['emacs'],
    where: {
      kind: 'opaque',
      options: ['--eval', '-l', '--load', '-f', '--funcall', '--batch'],
      why: 'starts emacs with lisp the policy cannot read',
    },
  },
  {
    programs: ['less', 'more', 'most'],
    where: {
      kind: 'opaque',
      options: ['+', '-k', '--lesskey-file'],
      why: 'starts a pager with commands that may run shell commands',
    },
  },
];

/** What one spelling of a simple command (its words, command word first) runs besides itself. */
export function innerCommands(form: readonly string[]): InnerReading {
  return readInner(form, true);
}

/** Why one spelling of a simple command runs code the policy cannot read, or undefined (innerCommands' opaque). */
export function opaqueCode(form: readonly string[]): string | undefined {
  return readInner(form, false).opaque;
}

function readInner(form: readonly string[], withGuesses: boolean): InnerReading {
  const scripts: { text: string; exact: boolean }[] = [];
  const commands: string[][] = [];
  let opaque: string | undefined;
  for (const rule of rulesFor(form)) {
    const from = subcommandEnd(form, rule.subcommand);
    if (from < 0) continue;
    const { where } = rule;
    const reading = rule.reading ?? GETOPT;
    switch (where.kind) {
      case 'rest':
        break;
      case 'rest-shell':
        if (!withGuesses) break;
        for (let start = from; start < Math.min(form.length, from + MAX_GUESSES); start += 1) {
          scripts.push({ text: form.slice(start).join(' '), exact: false });
          // A program may take the text as one operand before others (`trap 'curl x' EXIT`).
          if (start + 1 < form.length) scripts.push({ text: form[start] as string, exact: false });
        }
        break;
      case 'script':
        for (const text of where.flag
          ? flagScripts(form, where.options)
          : optionValues(form, where.options, from, reading)) {
          scripts.push({ text, exact: true });
        }
        break;
      case 'words':
        commands.push(...execWords(form, where.options, from));
        break;
      case 'opaque': {
        const option = firstOption(form, where.options, from, reading);
        if (option !== undefined) opaque ??= `passes ${quoteTarget(option)}, which ${where.why}`;
        break;
      }
      case 'program': {
        const texts = optionValues(form, where.textOptions, from, reading);
        if (texts.length === 0) texts.push(...operands(form, where.valued, from).slice(0, 1));
        const unreadable = texts.find((text) =>
          where.safe ? !where.safe.test(text) : where.unsafe?.test(text),
        );
        if (unreadable !== undefined) opaque ??= where.why;
        break;
      }
      case 'assignments':
        if (operands(form, [], from).some((word) => ASSIGNMENT.test(word))) opaque ??= where.why;
        break;
      case 'always':
        opaque ??= where.why;
        break;
      case 'git-config':
        for (const setting of gitConfig(form)) {
          const [name = '', value = ''] = splitSetting(setting);
          const command = GIT_COMMAND_KEYS.find((key) => key.test(name));
          if (command && value !== '') scripts.push({ text: value.replace(/^!/, ''), exact: true });
          if (!GIT_SAFE_KEYS.test(name)) {
            opaque ??= `sets git configuration ${quoteTarget(name)}, which may run commands or change where git connects`;
          }
        }
        break;
    }
  }
  return { scripts, commands, opaque };
}

/**
 * Where the inner command of a `rest` program starts in its words (after the program, or after its subcommand:
 * `pnpm exec x`), or undefined: commandForms adds a spelling from each later word on.
 */
export function innerStart(form: readonly string[]): number | undefined {
  let start: number | undefined;
  for (const rule of rulesFor(form)) {
    if (rule.where.kind !== 'rest' && rule.where.kind !== 'rest-shell') continue;
    const end = subcommandEnd(form, rule.subcommand);
    if (end >= 0 && (start === undefined || end < start)) start = end;
  }
  return start;
}

// git-config(1) "Variables": keys whose value is a command git runs through a shell (an alias starting with `!`
// too: "If the alias expansion is prefixed with an exclamation point, it will be treated as a shell command").
const GIT_COMMAND_KEYS: readonly RegExp[] = [
  /^core\.(sshcommand|editor|pager|askpass|fsmonitor|gitproxy)$/i,
  /^sequence\.editor$/i,
  /^(diff\.external|uploadpack\.packobjectshook)$/i,
  /^gpg\.([^.]+\.)?program$/i,
  /^credential\.([^.]+\.)*helper$/i,
  /^alias\./i,
  /^pager\./i,
  /^filter\..+\.(clean|smudge|process)$/i,
  /^diff\..+\.(textconv|command)$/i,
  /^merge\..+\.driver$/i,
  /^(merge|diff)tool\..+\.cmd$/i,
  /^remote\..+\.(receivepack|uploadpack)$/i,
];
// Keys that only change how git prints or who it names as author: any other key may run a program, load hooks
// (core.hooksPath), change where it fetches or pushes (remote.*.url, url.*.insteadOf) or what it trusts.
const GIT_SAFE_KEYS =
  /^(color\..+|column\..+|advice\..+|i18n\..+|core\.(quotepath|autocrlf|safecrlf)|user\.(name|email)|init\.defaultbranch|log\.(date|decorate|abbrevcommit)|diff\.(noprefix|renames|algorithm|colormoved)|pull\.(rebase|ff)|merge\.conflictstyle|commit\.verbose)$/i;

/**
 * git's global `-c` and `--config-env` settings, before the subcommand, and git clone's own `-c`/`--config`
 * (git-clone(1): "Set a configuration variable in the newly-created repository"), as `name=value`.
 */
function gitConfig(form: readonly string[]): string[] {
  const clone = subcommandEnd(form, ['clone']);
  const settings: string[] = clone < 0 ? [] : optionValues(form, ['-c', '--config'], clone);
  for (let index = 1; index < form.length; index += 1) {
    const word = form[index] as string;
    if (word === '-c' || word === '--config-env') {
      index += 1;
      settings.push(form[index] ?? '');
    } else if (word.startsWith('--config-env=')) settings.push(word.slice('--config-env='.length));
    else if (GIT_GLOBAL_VALUE_OPTIONS.includes(word)) index += 1;
    else if (!word.startsWith('-')) break;
  }
  return settings;
}

/** `name=value` -> [name, value]; a name alone is set to true. */
function splitSetting(setting: string): [string, string] {
  const equals = setting.indexOf('=');
  return equals < 0 ? [setting, ''] : [setting.slice(0, equals), setting.slice(equals + 1)];
}

// How many runs of words a `rest-shell` program's text is guessed from.
const MAX_GUESSES = 8;
const ASSIGNMENT = /^[A-Za-z_.][A-Za-z0-9_.]*\+?:?=/;
// Options of a program, before its subcommand, that take the next word as value.
const GLOBAL_VALUED: Readonly<Record<string, readonly string[]>> = {
  git: GIT_GLOBAL_VALUE_OPTIONS,
  pnpm: ['--filter', '-F', '-C', '--dir', '--workspace-concurrency'],
  npm: ['-w', '--workspace', '--prefix', '-C'],
  yarn: ['--cwd'],
  yarnpkg: ['--cwd'],
  bun: ['--cwd', '--filter'],
};

// INNER_RULES by program name, each list in table order: every spelling of every simple command asks for its
// program's rules, several times per decision, so the table is not scanned whole each time.
const RULES_BY_PROGRAM: ReadonlyMap<string, readonly InnerRule[]> = (() => {
  const byProgram = new Map<string, InnerRule[]>();
  for (const rule of INNER_RULES) {
    for (const program of new Set(rule.programs)) {
      const rules = byProgram.get(program);
      if (rules) rules.push(rule);
      else byProgram.set(program, [rule]);
    }
  }
  return byProgram;
})();

function rulesFor(form: readonly string[]): readonly InnerRule[] {
  return RULES_BY_PROGRAM.get(programName(form[0] ?? '')) ?? [];
}

/** `python3.12` runs python, `Rscript` rscript: the name without a version suffix, lower case. */
export function programName(word: string): string {
  const lower = word.toLowerCase();
  // Only a name ending in a digit or a dot has a version suffix: the rules ask for the name of many words, most of
  // which end otherwise, so the pattern below runs only when it can match.
  const last = lower.charCodeAt(lower.length - 1);
  if (last !== DOT && (last < DIGIT_0 || last > DIGIT_9)) return lower;
  const bare = lower.replace(/[0-9][0-9.]*$/, '');
  return bare === '' ? lower : bare;
}

const DOT = 0x2e;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;

/**
 * The index after these subcommand words (after the program when it names none), or -1 when the form does
 * not run that subcommand. Global options and their values are skipped as the program reads them.
 */
export function subcommandEnd(form: readonly string[], subcommand: readonly string[] = []): number {
  const wanted = subcommand;
  const valued = GLOBAL_VALUED[programName(form[0] ?? '')] ?? [];
  let matched = 0;
  for (let index = 1; index < form.length && matched < wanted.length; index += 1) {
    const word = form[index] as string;
    if (valued.includes(word)) {
      index += 1;
      continue;
    }
    if (word.startsWith('-')) continue;
    if (word !== wanted[matched]) return -1;
    matched += 1;
    if (matched === wanted.length) return index + 1;
  }
  return wanted.length === 0 ? 1 : -1;
}

/** A shell's script: the word after the first option group holding the flag (`bash -lc 'x'`). */
function flagScripts(form: readonly string[], flags: readonly string[]): string[] {
  const letters = flags.map((flag) => flag.slice(1));
  const at = form.findIndex(
    (word, index) =>
      index > 0 && /^-[A-Za-z]+$/.test(word) && letters.some((letter) => word.includes(letter)),
  );
  if (at < 0) return [];
  // `bash -c -- 'x'`: `--` ends the options; the script is the first word after it.
  const script = form.slice(at + 1).find((word) => word !== '--');
  return script === undefined ? [] : [script];
}

/** The commands of find's `-exec command ;` and `-exec command {} +` actions (`+` ends one only after `{}`). */
function execWords(form: readonly string[], options: readonly string[], from: number): string[][] {
  const commands: string[][] = [];
  for (let index = from; index < form.length; index += 1) {
    if (!options.includes(form[index] as string)) continue;
    const words: string[] = [];
    for (index += 1; index < form.length; index += 1) {
      const word = form[index] as string;
      if (word === ';' || (word === '+' && words.at(-1) === '{}')) break;
      words.push(word);
    }
    if (words.length > 0) commands.push(words);
  }
  return commands;
}

/**
 * A sed script made only of commands that print, delete, quit or substitute (without the `e` and `w` flags),
 * each with an optional line, `$` or /regex/ address or range: `1,40p`, `s/a/b/g`, `/x/d;$=`.
 */
function sedScript(): RegExp {
  const address = String.raw`(?:\d+|\$|/(?:\\.|[^/\\\n])*/I?)`;
  const range = String.raw`(?:${address}(?:\s*,\s*(?:${address}|[+~]\d+))?\s*!?\s*)?`;
  const part = String.raw`(?:\\.|[^/\\\n])*`;
  const command = `(?:[pdqQP=nNgGhHxlz]|s/${part}/${part}/[gpiI0-9]*|y/${part}/${part}/)`;
  const statement = String.raw`\s*${range}${command}\s*`;
  return new RegExp(String.raw`^${statement}(?:[;\n]${statement})*;?\s*$`);
}
