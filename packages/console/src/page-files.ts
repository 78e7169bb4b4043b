import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

/** The page's files, built into dist/page (tsup.page.config.ts), by the path they are served at. */
const FILES = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/console.js': { file: 'console.global.js', type: 'text/javascript; charset=utf-8' },
  '/console.css': { file: 'console.css', type: 'text/css; charset=utf-8' },
} as const;

type PagePath = keyof typeof FILES;
export const PAGE_PATHS = Object.keys(FILES) as PagePath[];

/** The page's files, read once at start: the console serves nothing else, and no file from a request's path. */
export async function loadPageFiles(): Promise<Map<PagePath, { body: string; type: string }>> {
  // From dist/ the page is beside this module; the tests run the sources, whose page is the built one too.
  const dir = fileURLToPath(
    new URL(import.meta.url.includes('/src/') ? '../dist/page/' : './page/', import.meta.url),
  );
  const loaded = new Map<PagePath, { body: string; type: string }>();
  for (const path of PAGE_PATHS) {
    const { file, type } = FILES[path];
    loaded.set(path, { body: await readFile(`${dir}${file}`, 'utf8'), type });
  }
  return loaded;
}
