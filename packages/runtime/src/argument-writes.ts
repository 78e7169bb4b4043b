/**
 * Files a command writes or deletes through its arguments rather than a redirection: `cp x .git/hooks/pre-commit`,
 * `sort -o f`, `sed -i … f`, `rm -rf dist`. Knowledge as data: which operands and options of each command write, one
 * entry per command with its manual page, read by argumentEffects alone.
 */
interface WriteForm {
  /**
   * Which operands (words that are no option nor option value) it writes: `every` one; `destination`, the last,
   * with `<last>/<name of each other>` since the last may be a folder (and, for a single operand, `single`);
   * `after-first`, all but the first (`chmod MODE FILE…`); or the one at this index.
   */
  readonly operands?: 'every' | 'destination' | 'after-first' | number;
  /** Which operands it deletes, their contents with them: `every` one, or the `sources` of a `destination` form. */
  readonly deletes?: 'every' | 'sources';
  /** With `destination` and one operand, what it writes (`ln -s ../x` makes `./x`): the operand's `name`. */
  readonly single?: 'name';
  /** Options whose value is a file it writes (`-o f`, `-of`, `-o=f`, `--output=f`, `-out=f`). */
  readonly output?: readonly string[];
  /** Options whose value is the destination folder (`-t dir`): every operand is written there. */
  readonly targetDirectory?: readonly string[];
  /** Other options that take the next word as their value. */
  readonly valued?: readonly string[];
  /** Options after which every file operand is rewritten in place (`sed -i`); a letter also counts in a cluster. */
  readonly inPlace?: readonly string[];
  /** Options that give the script (each also in valued), without which the first operand is the script. */
  readonly script?: readonly string[];
  /**
   * Files the script itself writes: each match's first group (sed's `w file`, `s/a/b/w file`; awk's `print >
   * "file"`). Read generously: a match that names no file only ever names a path no pattern protects.
   */
  readonly scriptWrites?: RegExp;
  /** With one of these options every operand is written (`install -d dir…` makes each folder). */
  readonly everyWith?: readonly string[];
  /** The deletes happen only with one of these options (`git clean -f`, `find -delete`). */
  readonly deletesWith?: readonly string[];
  /** Operands end at the first word starting with `-`, `(` or `!` (find's starting points before its expression). */
  readonly leading?: boolean;
  /** The operand read when none is given (`git clean -f` and `find` work on `.`). */
  readonly none?: string;
  /** Each option is one word, never a cluster of letters (Go's flag package: `-out=f`, `-overlay=f`). */
  readonly wordOptions?: boolean;
}

const COPY: WriteForm = {
  operands: 'destination',
  targetDirectory: ['-t', '--target-directory'],
  valued: ['-S', '--suffix'],
};

/** Commands by name, or by `name subcommand` where only a subcommand writes. */
const WRITE_FORMS: ReadonlyMap<string, WriteForm> = new Map<string, WriteForm>([
  // cp(1), GNU coreutils: `cp SOURCE… DEST`, `cp -t DIRECTORY SOURCE…`.
  ['cp', COPY],
  // mv(1): as cp, and each source is gone from where it was.
  ['mv', { ...COPY, deletes: 'sources' }],
  // install(1): as cp; `-d` makes every operand a folder; -m/-o/-g take values.
  [
    'install',
    {
      ...COPY,
      everyWith: ['-d', '--directory'],
      valued: ['-S', '--suffix', '-m', '--mode', '-o', '--owner', '-g', '--group'],
    },
  ],
  // ln(1): `ln TARGET… LINK_NAME|DIRECTORY`, `ln TARGET` (a link of the same name here), `-t DIRECTORY`.
  ['ln', { ...COPY, single: 'name' }],
  // rsync(1), scp(1): the last operand is the destination.
  ['rsync', { operands: 'destination', valued: ['-e', '--rsh', '--exclude', '--include', '--filter', '-f'] }],
  ['scp', { operands: 'destination', valued: ['-i', '-P', '-o', '-F', '-c', '-J', '-l', '-S'] }],
  // sort(1): `-o FILE`, `--output=FILE`; -k/-t/-T/-S take values.
  ['sort', { output: ['-o', '--output'], valued: ['-k', '--key', '-t', '--field-separator', '-T', '-S'] }],
  // uniq(1): `uniq [INPUT [OUTPUT]]`; -f/-s/-w take values.
  ['uniq', { operands: 1, valued: ['-f', '--skip-fields', '-s', '--skip-chars', '-w', '--check-chars'] }],
  // tree(1): `-o filename` sends the listing to a file; -L/-P/-I take values.
  ['tree', { output: ['-o'], valued: ['-L', '-P', '-I', '--filelimit', '--charset'] }],
  // sed(1), GNU: `-i[SUFFIX]`, `--in-place[=SUFFIX]` edit each file; the script is the first operand unless -e/-f.
  [
    'sed',
    {
      inPlace: ['-i', '--in-place'],
      script: ['-e', '--expression', '-f', '--file'],
      valued: ['-e', '--expression', '-f', '--file', '-l', '--line-length'],
      // sed(1), "Commands which accept address ranges": `w filename`, `W filename`, and the `w` flag of `s`.
      scriptWrites: /[wW]\s*([^\s;}]+)/g,
    },
  ],
  // awk(1p), "Output Statements": `print > expression`, `print >> expression`, `printf … > expression`; a quoted
  // file name is read (a variable's value is not known, as for any program that picks its own files).
  ['awk', { script: ['-f'], valued: ['-f', '-v', '-F'], scriptWrites: />>?\s*"([^"]+)"/g }],
  [
    'gawk',
    {
      script: ['-f', '--file'],
      valued: ['-f', '--file', '-v', '-F', '-i', '--include'],
      scriptWrites: />>?\s*"([^"]+)"/g,
    },
  ],
  // perlrun(1): `-i[extension]` edits each file in place; the program is the first operand unless -e/-E.
  ['perl', { inPlace: ['-i'], script: ['-e', '-E'], valued: ['-e', '-E'] }],
  // `go help build`: `-o output`; `go help testflag`: `-o file` writes the test binary, the profiles and the trace
  // their files, `-outputdir` is where the profiles go.
  ['go build', { output: ['-o'], wordOptions: true }],
  [
    'go test',
    {
      output: [
        '-o',
        '-coverprofile',
        '-cpuprofile',
        '-memprofile',
        '-blockprofile',
        '-mutexprofile',
        '-trace',
        '-outputdir',
      ],
      wordOptions: true,
    },
  ],
  // Terraform docs, `terraform plan`: `-out=FILENAME`, and the state options `-state-out`, `-backup` (single dash,
  // value after `=` or as the next word, Go's flag package).
  // `-generate-config-out=PATH` writes the configuration it generates.
  [
    'terraform plan',
    { output: ['-out', '-state-out', '-backup', '-generate-config-out'], wordOptions: true },
  ],
  // gcc(1), clang(1): `-o file`.
  ['cc', { output: ['-o'] }],
  ['gcc', { output: ['-o'] }],
  ['clang', { output: ['-o'] }],
  // curl(1): `-o, --output <file>`; wget(1): `-O, --output-document=file`.
  ['curl', { output: ['-o', '--output'], valued: ['-H', '-d', '-X', '-u', '-A', '-e', '--data'] }],
  ['wget', { output: ['-O', '--output-document', '-o', '--output-file'] }],
  // tee(1): every FILE.
  ['tee', { operands: 'every' }],
  // sponge(1), moreutils: `sponge [-a] file`.
  ['sponge', { operands: 'every' }],
  // touch(1): every FILE; -d/-t/-r take values.
  ['touch', { operands: 'every', valued: ['-d', '--date', '-t', '-r', '--reference'] }],
  // mkdir(1): every DIRECTORY; -m takes a value.
  ['mkdir', { operands: 'every', valued: ['-m', '--mode'] }],
  // truncate(1): every FILE; -s/-r take values.
  ['truncate', { operands: 'every', valued: ['-s', '--size', '-r', '--reference'] }],
  // chmod(1), chown(1), chgrp(1): `MODE|OWNER FILE…`, or `--reference=RFILE FILE…`.
  ['chmod', { operands: 'after-first', everyWith: ['--reference'] }],
  ['chown', { operands: 'after-first', everyWith: ['--reference'] }],
  ['chgrp', { operands: 'after-first', everyWith: ['--reference'] }],
  // split(1): `split [FILE [PREFIX]]` writes PREFIXaa, PREFIXab, …; -a/-b/-C/-l/-n take values.
  ['split', { operands: 1, valued: ['-a', '-b', '-C', '-l', '-n', '--additional-suffix'] }],
  // patch(1): `patch [originalfile [patchfile]]` rewrites originalfile; `-o outfile`; -i/-p/-d take values.
  [
    'patch',
    { operands: 0, output: ['-o', '--output'], valued: ['-i', '--input', '-p', '-d', '--directory'] },
  ],
  // zip(1): `zip zipfile file…` writes zipfile.
  ['zip', { operands: 0 }],
  // rm(1), rmdir(1), unlink(1): every operand is deleted.
  ['rm', { operands: 'every', deletes: 'every' }],
  ['rmdir', { operands: 'every', deletes: 'every' }],
  ['unlink', { operands: 'every', deletes: 'every' }],
  // shred(1): overwrites every FILE (and with -u removes it); -n/-s take values.
  ['shred', { operands: 'every', deletes: 'every', valued: ['-n', '--iterations', '-s', '--size'] }],
  // git-clean(1): with -f, deletes the untracked files under each pathspec, or under `.` without one.
  ['git clean', { deletes: 'every', deletesWith: ['-f', '--force'], none: '.', valued: ['-e'] }],
  // git-mv(1), git-rm(1): as mv and rm, in the working tree; git-restore(1), git-checkout(1): each pathspec is
  // written from the index or a commit (a branch name read as a path names no protected file).
  ['git mv', { operands: 'destination', deletes: 'sources' }],
  ['git rm', { operands: 'every', deletes: 'every' }],
  ['git restore', { operands: 'every', valued: ['-s', '--source'] }],
  ['git checkout', { operands: 'every', valued: ['-b', '-B', '--orphan', '--conflict'] }],
  // git-worktree(1): `git worktree add <path>` makes a working tree at path (the subcommand word is read as a path
  // too, which names nothing protected).
  ['git worktree', { operands: 'every', valued: ['-b', '-B', '--reason'] }],
  // tar(1): `-f ARCHIVE` is written when creating, and files are extracted into `-C DIR` (here when none);
  // unzip(1): `-d exdir`.
  ['tar', { output: ['-f', '--file'], targetDirectory: ['-C', '--directory'] }],
  ['unzip', { targetDirectory: ['-d'] }],
  // find(1), GNU: starting points (`.` when none) come before the expression; `-delete` deletes what matches under
  // them; `-fprint FILE`, `-fprint0 FILE`, `-fprintf FILE FORMAT`, `-fls FILE` write FILE.
  [
    'find',
    {
      deletes: 'every',
      deletesWith: ['-delete'],
      leading: true,
      none: '.',
      output: ['-fprint', '-fprint0', '-fprintf', '-fls'],
    },
  ],
]);

// Options of a command before its subcommand that take a value (`git -C dir clean`).
const GLOBAL_VALUED = new Set(['-C', '-c', '--git-dir', '--work-tree', '--namespace']);

/** Files one spelling of a command (words from commandForms: no leading assignments, the command's base name). */
export interface ArgumentEffects {
  /** Paths it may write, as written (relative to where it runs). */
  readonly writes: readonly string[];
  /** Paths it may delete with everything under them; each is in writes too. */
  readonly deletes: readonly string[];
}

const NONE: ArgumentEffects = { writes: [], deletes: [] };

export function argumentEffects(form: readonly string[]): ArgumentEffects {
  const [command = '', ...rest] = form;
  let start = 0;
  while (start < rest.length && (rest[start] as string).startsWith('-')) {
    start += GLOBAL_VALUED.has(rest[start] as string) ? 2 : 1;
  }
  const subcommand = rest[start];
  const withSubcommand = subcommand === undefined ? undefined : WRITE_FORMS.get(`${command} ${subcommand}`);
  const spec = withSubcommand ?? WRITE_FORMS.get(command);
  if (!spec) return NONE;
  return effects(spec, withSubcommand ? rest.slice(start + 1) : rest);
}

function effects(spec: WriteForm, args: readonly string[]): ArgumentEffects {
  const operands: string[] = [];
  const outputs: string[] = [];
  const targets: string[] = [];
  const scripts: string[] = [];
  const given = new Set<string>();
  let inExpression = false;
  let index = 0;
  const nextWord = (): string => {
    index += 1;
    return args[index] ?? '';
  };
  for (; index < args.length; index += 1) {
    const word = args[index] as string;
    if (word === '--') {
      if (!inExpression) operands.push(...args.slice(index + 1));
      break;
    }
    if (spec.leading && (inExpression || /^[-(!]/.test(word))) {
      inExpression = true;
      given.add(word);
      if (spec.output?.includes(word)) outputs.push(nextWord());
      continue;
    }
    if (!word.startsWith('-') || word === '-') {
      operands.push(word);
      continue;
    }
    const equals = word.indexOf('=');
    const name = equals < 0 ? word : word.slice(0, equals);
    given.add(name);
    const next = () => (equals < 0 ? nextWord() : word.slice(equals + 1));
    if (spec.output?.includes(name)) outputs.push(next());
    else if (spec.targetDirectory?.includes(name)) targets.push(next());
    else if (spec.valued?.includes(name)) {
      const value = next();
      if (spec.script?.includes(name)) scripts.push(value);
    } else if (!name.startsWith('--') && !spec.wordOptions) {
      // A cluster of letters (`-fdx`), as getopt reads it: the first letter that takes a value takes the rest of the
      // word (`-ofile`, `-ro file`) or else the next word.
      for (let at = 1; at < word.length; at += 1) {
        const letter = `-${word[at]}`;
        given.add(letter);
        const takes = [spec.output, spec.targetDirectory, spec.valued].find((list) => list?.includes(letter));
        if (takes === undefined) continue;
        const value = at + 1 < word.length ? word.slice(at + 1) : nextWord();
        if (takes === spec.output) outputs.push(value);
        else if (takes === spec.targetDirectory) targets.push(value);
        else if (spec.script?.includes(letter)) scripts.push(value);
        break;
      }
    }
  }
  if (operands.length === 0 && spec.none !== undefined) operands.push(spec.none);
  const scripted = spec.script !== undefined && !spec.script.some((option) => given.has(option));
  if (scripted && operands.length > 0) scripts.push(operands[0] as string);
  const fromScripts = spec.scriptWrites
    ? scripts.flatMap((script) =>
        [...script.matchAll(spec.scriptWrites as RegExp)].map((match) => match[1] ?? ''),
      )
    : [];
  const writes = [...outputs, ...fromScripts, ...written(spec, operands, targets, given)];
  const deletes = deleted(spec, operands, given);
  return { writes: [...new Set([...writes, ...deletes])], deletes };
}

function written(
  spec: WriteForm,
  operands: readonly string[],
  targets: readonly string[],
  given: ReadonlySet<string>,
): string[] {
  if (spec.inPlace?.some((option) => given.has(option))) {
    return spec.script?.some((option) => given.has(option)) ? [...operands] : operands.slice(1);
  }
  if (targets.length > 0) return targets.flatMap((target) => intoFolder(target, operands));
  if (spec.everyWith?.some((option) => given.has(option))) return [...operands];
  const { operands: which } = spec;
  if (which === 'every') return [...operands];
  if (which === 'after-first') return operands.slice(1);
  if (typeof which === 'number') return operands[which] === undefined ? [] : [operands[which] as string];
  if (which !== 'destination') return [];
  if (operands.length === 1 && spec.single === 'name') return [baseName(operands[0] as string)];
  if (operands.length < 2) return [];
  return intoFolder(operands[operands.length - 1] as string, operands.slice(0, -1));
}

function deleted(spec: WriteForm, operands: readonly string[], given: ReadonlySet<string>): string[] {
  if (spec.deletes === undefined) return [];
  if (spec.deletesWith && !spec.deletesWith.some((option) => given.has(option))) return [];
  return spec.deletes === 'every' ? [...operands] : operands.slice(0, -1);
}

/** A destination that may be a folder: the path itself and each source's name inside it. */
function intoFolder(destination: string, sources: readonly string[]): string[] {
  const folder = destination.replace(/\/+$/, '');
  return [...sources.map((source) => `${folder}/${baseName(source)}`), destination];
}

function baseName(path: string): string {
  return path.replace(/\/+$/, '').split('/').pop() ?? path;
}
