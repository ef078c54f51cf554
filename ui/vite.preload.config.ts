import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

// The script injected into app windows (src/preload): one self-contained IIFE, with the
// official @finos/fdc3-agent-proxy bundled in. The Rust side embeds it (include_str!).
export default defineConfig({
  root,
  clearScreen: false,
  logLevel: 'warn',
  build: {
    outDir: 'dist-preload',
    emptyOutDir: true,
    target: ['es2021', 'safari15'],
    sourcemap: false,
    lib: {
      entry: resolve(root, 'src/preload/main.ts'),
      formats: ['iife'],
      name: 'InterlogPreload',
      fileName: () => 'fdc3-preload.js',
    },
  },
});
