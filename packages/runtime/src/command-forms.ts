import { innerStart } from './inner-commands.js';

/**
 * The spellings of one simple command (its words, from parseCommand) that the block and approval lists are matched
 * against, besides the part as written: its words unquoted (`"sudo" x`, `s''udo x` and `\sudo x` run `sudo x`),
 * without leading variable assignments (`FOO=1 sudo x`), with the command word's directory dropped
 * (`/usr/bin/sudo x`), and, after a command that runs the rest of its words as a command (`env`, `nohup`, `exec`,
 * `time`, `pnpm exec`, ...: the `rest` rules of inner-commands), every run of words from each later word on, since
 * such a wrapper's options are not known (`nice -n 5 sudo x` holds `sudo x`).
 * More spellings only make the block and approval lists catch more; the allow list sees the part as written.
 */
export function commandForms(all: readonly string[]): string[][] {
  let start = 0;
  while (start < all.length - 1 && ASSIGNMENT.test(all[start] as string)) start += 1;
  const first = withBaseName(all.slice(start));
  const forms = [first];
  const inner = innerStart(first);
  if (inner !== undefined) {
    for (let from = start + inner; from < all.length; from += 1) forms.push(withBaseName(all.slice(from)));
  }
  return forms;
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
