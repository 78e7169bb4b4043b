import { describe, expect, it } from 'vitest';
import { commandWords } from '../src/command-arguments.js';
import { commandArguments } from '../src/index.js';

// [simple command, argument words]
const CASES: readonly (readonly [string, readonly string[]])[] = [
  ['git status', ['status']],
  ['  grep   -r TOKEN .env ', ['-r', 'TOKEN', '.env']],
  ['pwd', []],
  ['', []],
  [`git show 'HEAD:.env'`, ['show', 'HEAD:.env']],
  [`git show 'HEAD:.e'"nv"`, ['show', 'HEAD:.env']],
  ['git show HEAD:.e\\nv', ['show', 'HEAD:.env']],
  [`echo 'a\\b' "c\\"d\\e" f\\ g "" h`, ['a\\b', 'c"d\\e', 'f g', '', 'h']],
  [`echo "unclosed 'quote`, ["unclosed 'quote"]],
  ['npm run build 2>&1', ['run', 'build', '2']],
  ['npm test > out.log 2> err.log', ['test', '2']],
  ['npm test<.env', ['test', '.env']],
  ['<.env cat', ['.env']],
  ['sort <>data.txt', ['data.txt']],
  ['npm test &> all.log', ['test']],
  ['echo $(cat .env) `cat id_rsa`', ['$', 'cat', '.env', 'cat', 'id_rsa']],
  ['echo "$(cat .env)"', ['$(cat .env)']],
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell parameter expansion, read as written
  ['git show HEAD:.en${X}v', ['show', 'HEAD:.en${X}v']],
  ['trailing \\', ['\\']],
];

describe('command arguments', () => {
  it.each(CASES)('%j -> %j', (part, words) => {
    expect(commandArguments(part)).toEqual(words);
  });
});

// [simple command, files written by output redirection]
const WRITES: readonly (readonly [string, readonly string[]])[] = [
  ['npm test > out.log 2> err.log', ['out.log', 'err.log']],
  ['npm test >> "a b.log"', ['a b.log']],
  ['npm test &> all.log', ['all.log']],
  ['npm test >& all.log', ['all.log']],
  ['npm run build 2>&1', []],
  ['npm test >&2 >&- 3>&1-', []],
  ['>&2 echo hi', []],
  ['git show HEAD:x>.git/config', ['.git/config']],
  ['sort <>data.txt', []],
];

describe('command redirection targets', () => {
  it.each(WRITES)('%j writes %j', (part, writes) => {
    expect(commandWords(part).writes).toEqual(writes);
  });

  it('does not take a duplicated descriptor for the command word', () => {
    expect(commandWords('>&2 echo hi').args).toEqual(['hi']);
  });
});
