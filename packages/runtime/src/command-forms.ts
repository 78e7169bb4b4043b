/**
 * The spellings of one simple command (its words, from parseCommand) that the block and approval lists are matched
 * against, besides the part as written: its words unquoted (`"sudo" x`, `s''udo x` and `\sudo x` run `sudo x`),
 * without leading variable assignments (`FOO=1 sudo x`), with the command word's directory dropped
 * (`/usr/bin/sudo x`), and, after a command that runs the rest of its words as a command (`env`, `nohup`, `exec`,
 * `time`, ...), every run of words from each later word on, since such a wrapper's options are not known
 * (`nice -n 5 sudo x` holds `sudo x`).
 * More spellings only make the block and approval lists catch more; the allow list sees the part as written.
 */
export function commandForms(all: readonly string[]): string[][] {
  let start = 0;
  while (start < all.length - 1 && ASSIGNMENT.test(all[start] as string)) start += 1;
  const forms = [withBaseName(all.slice(start))];
  if (WRAPPERS.has(baseName(all[start] ?? ''))) {
    for (let from = start + 1; from < all.length; from += 1) forms.push(withBaseName(all.slice(from)));
  }
  return forms;
}

/** The command string a shell form runs (`sh -c 'cat .env'` runs `cat .env`), or undefined. */
export function shellScript(form: readonly string[]): string | undefined {
  if (!SHELLS.has(form[0] ?? '')) return undefined;
  const flag = form.findIndex((word, index) => index > 0 && SCRIPT_FLAG.test(word));
  return flag < 0 ? undefined : form[flag + 1];
}

function withBaseName(words: readonly string[]): string[] {
  const [command = '', ...rest] = words;
  return [baseName(command), ...rest];
}

// `/usr/bin/sudo` and `C:\Windows\System32\cmd.exe` name the programs `sudo` and `cmd.exe`.
function baseName(word: string): string {
  return word.slice(Math.max(word.lastIndexOf('/'), word.lastIndexOf('\\')) + 1);
}

const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/;
// Commands that run the rest of their words as a command.
const WRAPPERS = new Set([
  'builtin',
  'command',
  'coproc',
  'doas',
  'env',
  'exec',
  'nice',
  'nohup',
  'setsid',
  'stdbuf',
  'time',
  'timeout',
  'xargs',
]);
// Shells that run a script given as an argument after `-c` (also in a flag group such as `-lc`).
const SHELLS = new Set(['sh', 'bash', 'dash', 'zsh', 'ksh', 'mksh', 'ash', 'fish']);
const SCRIPT_FLAG = /^-[A-Za-z]*c[A-Za-z]*$/;
