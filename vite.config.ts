// Builds the web console (web/) into web/dist, which `cairn server` serves at `/`: `npm run build`.
// `npx vite` serves it for development with hot reload, passing /v1 to a server on 127.0.0.1:8080.
import { join } from 'node:path';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const root = join(import.meta.dirname, 'web');

export default defineConfig({
  root,
  plugins: [react()],
  build: { outDir: join(root, 'dist'), emptyOutDir: true },
  server: { proxy: { '/v1': 'http://127.0.0.1:8080' } },
});
