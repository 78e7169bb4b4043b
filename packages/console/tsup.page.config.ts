import { defineConfig } from 'tsup';

// The page's script, bundled for the browser into dist/page with the page's HTML and CSS (page/public): the server
// serves only these files, so nothing is fetched from elsewhere at run time (the CSP allows 'self' only).
export default defineConfig({
  entry: { console: 'page/console.ts' },
  outDir: 'dist/page',
  format: ['iife'],
  platform: 'browser',
  target: 'es2022',
  minify: true,
  sourcemap: false,
  clean: false,
  publicDir: 'page/public',
  tsconfig: 'page/tsconfig.json',
});
