/**
 * Environment variables that change what a program runs or loads: setting one before an allowed command
 * (`NODE_OPTIONS=--require=./pwn.js npm test`), or for the rest of the command line (`export LD_PRELOAD=./x.so &&
 * ls`, `declare -x`, `set -a; X=…`, a plain `PATH=…;` since PATH is already exported), makes an allowed command run
 * code no allow rule speaks for. Each entry is a name, or a prefix ending in `*`, with what it changes and where that
 * is documented. Names are compared regardless of case: npm reads `NPM_CONFIG_*` as `npm_config_*`, and reading
 * more spellings only asks for approval more often.
 */
const CODE_VARIABLES: readonly (readonly [name: string, changes: string])[] = [
  // ld.so(8), ENVIRONMENT: every LD_* variable steers the dynamic loader (LD_PRELOAD, LD_LIBRARY_PATH, LD_AUDIT).
  ['LD_*', 'the libraries every program loads'],
  // dyld(1): DYLD_INSERT_LIBRARIES, DYLD_LIBRARY_PATH, DYLD_FRAMEWORK_PATH.
  ['DYLD_*', 'the libraries every program loads'],
  // glibc iconv(3), gconv modules: GCONV_PATH names shared objects iconv loads.
  ['GCONV_PATH', 'the libraries every program loads'],
  // bash(1), PATH: "the search path for commands".
  ['PATH', 'which program each command name runs'],
  // bash(1), CDPATH: "the search path for the cd command".
  ['CDPATH', 'where cd goes, and so which files later commands touch'],
  // bash(1), INVOCATION: BASH_ENV is sourced by every non-interactive bash; ENV by sh and interactive bash.
  ['BASH_ENV', 'a script every shell runs first'],
  ['ENV', 'a script every shell runs first'],
  // zsh(1), STARTUP/SHUTDOWN FILES: ZDOTDIR holds the startup files zsh runs.
  ['ZDOTDIR', 'a script every shell runs first'],
  // bash(1), SHELLOPTS/BASHOPTS: options every bash starts with (xtrace with a PS4 holding `$(…)` runs it).
  ['SHELLOPTS', 'the options every shell starts with'],
  ['BASHOPTS', 'the options every shell starts with'],
  ['PS4', 'a prompt every tracing shell expands, command substitutions included'],
  // bash(1), export -f: BASH_FUNC_<name>%% holds a function every bash defines at startup.
  ['BASH_FUNC_*', 'functions every shell defines'],
  // Node.js CLI docs, "NODE_OPTIONS": options for every node process (--require, --import, --loader).
  ['NODE_OPTIONS', 'code every node process loads'],
  // Node.js modules docs, "Loading from the global folders": NODE_PATH adds module folders.
  ['NODE_PATH', 'which modules node loads'],
  // npm docs, config, "Environment Variables": npm_config_* is any npm (and pnpm) setting: script-shell, node-options.
  ['npm_config_*', 'npm and pnpm settings, the shell that runs scripts included'],
  // Yarn docs, yarnrc: every setting can be given as YARN_<SETTING> (yarnPath, rcFilename, plugins).
  ['YARN_*', 'yarn settings, the yarn binary and plugins included'],
  // git-config(1), ENVIRONMENT: GIT_CONFIG_COUNT/KEY_n/VALUE_n, GIT_CONFIG_GLOBAL, GIT_CONFIG_SYSTEM; git(1):
  // GIT_CONFIG_PARAMETERS (what `git -c` passes down): any setting, core.fsmonitor and core.hooksPath included.
  ['GIT_CONFIG*', 'git settings that run programs (core.fsmonitor, core.hooksPath, aliases)'],
  // git(1), ENVIRONMENT VARIABLES: programs git runs.
  ['GIT_SSH', 'a program git runs'],
  ['GIT_SSH_COMMAND', 'a program git runs'],
  ['GIT_ASKPASS', 'a program git runs'],
  ['GIT_EDITOR', 'a program git runs'],
  ['GIT_SEQUENCE_EDITOR', 'a program git runs'],
  ['GIT_PAGER', 'a program git runs'],
  ['GIT_EXTERNAL_DIFF', 'a program git runs'],
  ['GIT_PROXY_COMMAND', 'a program git runs'],
  ['GIT_EXEC_PATH', 'where git finds its subcommands'],
  ['GIT_TEMPLATE_DIR', 'the hooks a new repository gets'],
  // git(1): GIT_DIR and GIT_WORK_TREE pick another repository, with its own hooks and settings.
  ['GIT_DIR', 'which repository (hooks and settings) git uses'],
  ['GIT_WORK_TREE', 'which working tree git uses'],
  // ssh(1), SSH_ASKPASS; less(1), LESSOPEN; man(1), MANPAGER; environ(7): PAGER, EDITOR, VISUAL name programs.
  ['SSH_ASKPASS', 'a program ssh runs'],
  ['LESSOPEN', 'a program less runs on every file'],
  ['PAGER', 'a program tools run for their output'],
  ['MANPAGER', 'a program man runs'],
  ['EDITOR', 'a program tools run to edit'],
  ['VISUAL', 'a program tools run to edit'],
  // environ(7), HOME; XDG Base Directory spec: where per-user settings (.gitconfig, .npmrc, git/config) are read.
  ['HOME', 'where per-user settings that run programs are read'],
  ['XDG_CONFIG_HOME', 'where per-user settings that run programs are read'],
  // python(1), ENVIRONMENT VARIABLES: module search path, startup file, home, user site (.pth files run code),
  // warnings filters (which import the named category's module), breakpoint hook.
  ['PYTHONPATH', 'which modules python loads'],
  ['PYTHONSTARTUP', 'a script python runs first'],
  ['PYTHONHOME', 'which standard library python loads'],
  ['PYTHONUSERBASE', 'which site packages (and .pth files) python loads'],
  ['PYTHONWARNINGS', 'modules python imports for its warning filters'],
  ['PYTHONBREAKPOINT', 'a function python imports and calls'],
  // pytest docs, "Environment variables": PYTEST_ADDOPTS adds options (-p plugin), PYTEST_PLUGINS loads plugins.
  ['PYTEST_ADDOPTS', 'options (plugins) pytest loads'],
  ['PYTEST_PLUGINS', 'plugins pytest loads'],
  // perlrun(1), ENVIRONMENT: PERL5OPT (-M modules), PERL5LIB/PERLLIB (module path), PERL5DB (debugger code).
  ['PERL5OPT', 'modules perl loads'],
  ['PERL5LIB', 'which modules perl loads'],
  ['PERLLIB', 'which modules perl loads'],
  ['PERL5DB', 'code the perl debugger runs'],
  // ruby(1), ENVIRONMENT: RUBYOPT (-r libraries), RUBYLIB (library path).
  ['RUBYOPT', 'libraries ruby loads'],
  ['RUBYLIB', 'which libraries ruby loads'],
  // JDK docs, "Using the JDK_JAVA_OPTIONS Launcher Environment Variable"; JVM TI docs, JAVA_TOOL_OPTIONS
  // (-javaagent); _JAVA_OPTIONS (HotSpot).
  ['JAVA_TOOL_OPTIONS', 'agents every JVM loads'],
  ['JDK_JAVA_OPTIONS', 'agents every JVM loads'],
  ['_JAVA_OPTIONS', 'agents every JVM loads'],
  // `go help environment`: GOFLAGS (-toolexec), GOTOOLCHAIN (which toolchain is downloaded and run).
  ['GOFLAGS', 'flags every go command takes, -toolexec included'],
  ['GOTOOLCHAIN', 'which go toolchain runs'],
  // Cargo book, "Environment variables": RUSTC, RUSTC_WRAPPER, RUSTFLAGS; CARGO_* sets any cargo setting.
  ['RUSTC', 'which compiler cargo runs'],
  ['RUSTC_WRAPPER', 'a program cargo runs'],
  ['RUSTFLAGS', 'flags rustc takes (plugins, linkers)'],
  ['CARGO_*', 'cargo settings, build programs included'],
  // GNU make manual, "Implicit Variables" (CC, CXX) and "Options/Recursion" (MAKEFLAGS: options and variables).
  ['CC', 'the compiler builds run'],
  ['CXX', 'the compiler builds run'],
  ['MAKEFLAGS', 'options and variables every make takes'],
  // Terraform docs, "Environment Variables": TF_CLI_ARGS(_name) adds options, TF_CLI_CONFIG_FILE picks the CLI
  // configuration (provider dev_overrides run any binary).
  ['TF_CLI_ARGS*', 'options every terraform command takes'],
  ['TF_CLI_CONFIG_FILE', 'which providers terraform runs'],
  // kubectl docs, kubeconfig: a kubeconfig's exec credential plugin is a program kubectl runs.
  ['KUBECONFIG', 'a credential program kubectl runs'],
  // AWS CLI docs, config file: credential_process is a program the CLI runs.
  ['AWS_CONFIG_FILE', 'a credential program the AWS CLI runs'],
  // Docker docs, "docker config": credsStore/credHelpers name programs docker runs.
  ['DOCKER_CONFIG', 'a credential program docker runs'],
];

const EXACT = new Map<string, string>();
const PREFIXES: [string, string][] = [];
for (const [name, changes] of CODE_VARIABLES) {
  if (name.endsWith('*')) PREFIXES.push([name.slice(0, -1).toUpperCase(), changes]);
  else EXACT.set(name.toUpperCase(), changes);
}

/** What setting this variable changes, or undefined for a variable that changes no program. */
function codeVariable(name: string): string | undefined {
  const upper = name.toUpperCase();
  return EXACT.get(upper) ?? PREFIXES.find(([prefix]) => upper.startsWith(prefix))?.[1];
}

/** One variable a command sets that changes what runs. */
export interface CodeVariable {
  readonly name: string;
  readonly changes: string;
}

// `NAME=value`, `NAME+=value`, `NAME[i]=value`: the name.
const ASSIGNED = /^([A-Za-z_][A-Za-z0-9_]*)(?:\[[^\]]*\])?\+?=/;
// bash(1), SHELL BUILTIN COMMANDS: builtins whose operands are names, or `name=value`, they set (or export).
const DECLARATIONS = new Set(['export', 'declare', 'typeset', 'local', 'readonly']);
// env(1): `env [-i] [-u name] [-C dir] [name=value]… [command]` runs the command with each name set.
const ENV_COMMAND = /(?:^|\/)env$/;
const ENV_OPTIONS_WITH_VALUE = new Set(['-u', '--unset', '-C', '--chdir']);
const SPLIT_STRING = new Set(['-S', '--split-string']);
// bash(1): `read [opts] name…` sets each name; `printf -v name` sets name.
const READ_OPTIONS_WITH_VALUE = new Set(['-a', '-d', '-i', '-n', '-N', '-p', '-t', '-u']);

/**
 * The first variable that changes what runs which a simple command (its words as parsed, leading assignments
 * first) sets, in any of its spellings (`forms`, from commandForms: `env X=1 cmd` and `nice env X=1 cmd` hold
 * `X=1 cmd`): as a leading assignment or an assignment statement (bash exports it when it already is, as PATH
 * is, or under `set -a`), as an operand of export, declare, typeset, local or readonly (`declare -n ref=PATH` makes
 * `ref` name it), or as a name `read` or `printf -v` sets.
 */
export function codeVariableSet(
  words: readonly string[],
  forms: readonly (readonly string[])[],
): CodeVariable | undefined {
  for (const name of [...setNames(words), ...forms.flatMap(setNames)]) {
    const changes = codeVariable(name);
    if (changes !== undefined) return { name, changes };
  }
  return undefined;
}

function setNames(words: readonly string[]): string[] {
  const names: string[] = [];
  let start = 0;
  for (; start < words.length; start += 1) {
    const name = ASSIGNED.exec(words[start] as string)?.[1];
    if (name === undefined) break;
    names.push(name);
  }
  const [command = '', ...operands] = words.slice(start);
  if (DECLARATIONS.has(command)) {
    const nameref = operands.some((operand) => /^-[A-Za-z]*n/.test(operand));
    for (const operand of operands) {
      if (operand.startsWith('-') || operand.startsWith('+')) continue;
      names.push(ASSIGNED.exec(operand)?.[1] ?? operand);
      // A nameref's value is the variable its name stands for.
      if (nameref) names.push(operand.slice(operand.indexOf('=') + 1));
    }
  } else if (command.endsWith('env') && ENV_COMMAND.test(command)) {
    for (let index = 0; index < operands.length; index += 1) {
      const operand = operands[index] as string;
      const name = ASSIGNED.exec(operand)?.[1];
      if (name !== undefined) names.push(name);
      else if (SPLIT_STRING.has(operand)) {
        // `env -S 'X=1 cmd'` splits the string into the words env then reads.
        index += 1;
        names.push(...setNames(['env', ...(operands[index] ?? '').split(/\s+/)]));
      } else if (ENV_OPTIONS_WITH_VALUE.has(operand)) index += 1;
      else if (!operand.startsWith('-')) break;
    }
  } else if (command === 'read') {
    for (let index = 0; index < operands.length; index += 1) {
      const operand = operands[index] as string;
      if (READ_OPTIONS_WITH_VALUE.has(operand)) index += 1;
      else if (!operand.startsWith('-')) names.push(operand);
    }
  } else if (command === 'printf') {
    const flag = operands.findIndex((operand) => operand === '-v' || /^-v./.test(operand));
    if (flag >= 0)
      names.push(operands[flag] === '-v' ? (operands[flag + 1] ?? '') : (operands[flag] as string).slice(2));
  }
  return names;
}
