/** The web UI's build: `web/` in, `dist/web/` out (served by `hallmark serve`, see docs/web.md). */
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
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
