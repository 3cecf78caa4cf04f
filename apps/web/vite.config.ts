import path from 'node:path';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const repoRoot = path.resolve(import.meta.dirname, '../..');

/**
 * The web app is served by the gateway from `dist/` (same origin as `/api`). In development,
 * `npm run dev -w apps/web` proxies `/api` to a platform started with `npm start`.
 */
export default defineConfig({
  root: import.meta.dirname,
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true },
  server: {
    host: '127.0.0.1',
    fs: { allow: [repoRoot] },
    proxy: { '/api': { target: 'http://127.0.0.1:3000', changeOrigin: false } },
  },
  preview: { host: '127.0.0.1' },
});
