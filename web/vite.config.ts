/** The web UI's build: `web/` in, `dist/web/` out (served by `hallmark serve`, see docs/web.md). */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
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

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [react(), precompress()],
  build: {
    outDir: OUT_DIR,
    emptyOutDir: true,
    // Every asset is a file under /assets/ (a strict CSP allows no data: scripts or styles).
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 1500,
  },
  server: {
    // `npm run dev:web` beside `npm start`: the API and registry are the server's.
    proxy: { '/api': 'http://localhost:8080', '/v2': 'http://localhost:8080' },
  },
});
