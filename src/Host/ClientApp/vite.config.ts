/// <reference types="vitest/config" />
import { defineConfig } from 'vite';

// The dashboard builds into the Host's wwwroot (git-ignored), which the Host serves with a
// fallback to index.html for client routes. JSX is compiled by Vite's own transformer (no plugin).
// `npm run dev` proxies the API to a Host started with ./run.sh (LORA_API to change).
const api = process.env.LORA_API ?? 'http://127.0.0.1:5080';

export default defineConfig({
  oxc: { jsx: { runtime: 'automatic', importSource: 'react' } },
  build: {
    outDir: '../wwwroot',
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 1200,
    rolldownOptions: {
      // libraries' "use client" directives mean nothing in a client-only bundle
      onLog(level, log, handler) {
        if (log.code === 'MODULE_LEVEL_DIRECTIVE') return;
        handler(level, log);
      },
    },
  },
  server: {
    proxy: {
      '/api': { target: api, changeOrigin: false },
      '/files': { target: api, changeOrigin: false },
      '/health': { target: api, changeOrigin: false },
    },
  },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
  },
});
