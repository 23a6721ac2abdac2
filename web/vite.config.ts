/** The web UI's build: `web/` in, `dist/web/` out (served by `hallmark serve`, see docs/web.md). */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

/** `HALLMARK_WEB_OUT_DIR` builds elsewhere (e.g. one build per parallel test run). */
const OUT_DIR =
  process.env.HALLMARK_WEB_OUT_DIR ?? fileURLToPath(new URL('../dist/web', import.meta.url));

/**
 * Writes `.br` and `.gz` beside each compressible asset, which the server sends to clients that
 * accept them (`@fastify/static`'s `preCompressed`): compressed once at build, never per request.
 */
function precompress(): Plugin {
  return {
    name: 'hallmark-precompress',
    apply: 'build',
    async closeBundle() {
      const assets = join(OUT_DIR, 'assets');
      for (const name of await readdir(assets)) {
        if (!/\.(js|css|svg)$/.test(name)) {
          continue;
        }
        const file = join(assets, name);
        const bytes = await readFile(file);
        await writeFile(
          `${file}.br`,
          brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 9 } }),
        );
        await writeFile(`${file}.gz`, gzipSync(bytes, { level: 9 }));
      }
    },
  };
}

/**
 * PatternFly's alternative themes (dark, high contrast, glass, felt) are custom properties and rules
 * that apply only below a `pf-v6-theme-*` class on <html>; Hallmark sets none, so they are about
 * half of PatternFly's base styles and never match. This drops every selector that needs such a
 * class (one inside `:not(…)` does not: `:root:not(.pf-v6-theme-glass)` matches here), and a rule
 * or an at-rule left empty. What the page looks like does not change.
 */
const UNUSED_THEME = /\.pf-v6-theme-(dark|felt|glass|high-contrast)\b/;
interface CssNode {
  type: string;
  parent?: CssNode | undefined;
  nodes?: CssNode[] | undefined;
  remove(): void;
}
function dropUnusedThemes() {
  const needsTheme = (selector: string) =>
    UNUSED_THEME.test(selector.replace(/:not\([^()]*\)/g, ''));
  return {
    postcssPlugin: 'hallmark-drop-unused-themes',
    Rule(rule: CssNode & { selectors: string[] }) {
      const kept = rule.selectors.filter((selector) => !needsTheme(selector));
      if (kept.length === rule.selectors.length) {
        return;
      }
      let parent = rule.parent;
      if (kept.length > 0) {
        rule.selectors = kept;
        return;
      }
      rule.remove();
      while (parent !== undefined && parent.type === 'atrule' && parent.nodes?.length === 0) {
        const empty = parent;
        parent = parent.parent;
        empty.remove();
      }
    },
  };
}

/**
 * Each screen is a lazy chunk, and the PatternFly components and helpers that several screens share
 * were common chunks of their own: a cold catalog page loaded 26 files, a project's images tab 53,
 * and over HTTP/1.1 (six connections, each request a round trip through the server) those queued
 * behind one another. Rolldown copies a common chunk under 150 kB (source size) into each chunk
 * that imports it instead: the catalog loads 11 files, the images tab 12 (a few kB more gzip for
 * the catalog; the build's JavaScript is about twice as large on disk, as screens hold copies).
 * A copied module runs once per copy, so the UI's modules that keep state between screens (the
 * session, the CSRF token, a project key shown once) are never copied. See docs/web.md.
 */
const INLINE_COMMON_CHUNKS_BELOW = 150_000;
const STATEFUL_MODULES =
  /[\\/]web[\\/]src[\\/](session\.ts|api[\\/]client\.ts|screens[\\/]projects[\\/]projectKey\.ts)$/;

/**
 * react-router's package exports name its development build for every bundler condition
 * (remix-run/react-router#12532, #14102): a production build aliases both of its entries to the
 * production build beside it (the same code without the development warnings).
 */
const REACT_ROUTER = dirname(createRequire(import.meta.url).resolve('react-router/package.json'));
const reactRouterProduction = [
  { find: /^react-router$/, replacement: join(REACT_ROUTER, 'dist/production/index.mjs') },
  {
    find: /^react-router\/dom$/,
    replacement: join(REACT_ROUTER, 'dist/production/dom-export.mjs'),
  },
];

export default defineConfig(({ command }) => ({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [react(), precompress()],
  resolve: { alias: command === 'build' ? reactRouterProduction : [] },
  css: { postcss: { plugins: [dropUnusedThemes()] } },
  build: {
    outDir: OUT_DIR,
    emptyOutDir: true,
    // Every asset is a file under /assets/ (a strict CSP allows no data: scripts or styles).
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 1500,
    rolldownOptions: {
      output: {
        codeSplitting: {
          experimentalInlineCommonChunks: {
            maxSize: INLINE_COMMON_CHUNKS_BELOW,
            exclude: STATEFUL_MODULES,
          },
        },
      },
    },
  },
  server: {
    // `npm run dev:web` beside `npm start`: the API and registry are the server's.
    proxy: { '/api': 'http://localhost:8080', '/v2': 'http://localhost:8080' },
  },
}));
