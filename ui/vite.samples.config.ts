import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

const root = fileURLToPath(new URL('./samples', import.meta.url));
const apps = ['chat', 'crm-harbor', 'crm-summit', 'contacts'] as const;

/**
 * Copies the files the app directory points at to fixed paths: each app's icon.svg (its
 * pages link it with vite-ignore, so Vite leaves the URL alone) and appd.json.
 */
function fixedFiles(): Plugin {
  const files = [...apps.map(app => `${app}/icon.svg`), 'appd.json'];
  return {
    name: 'interlog-sample-fixed-files',
    apply: 'build',
    generateBundle() {
      for (const fileName of files) {
        this.emitFile({ type: 'asset', fileName, source: readFileSync(resolve(root, fileName)) });
      }
    },
  };
}

// The sample apps, served by Interlog at http://127.0.0.1:PORT/<app>/. Relative URLs
// throughout (base './'), so the build works under any origin and path.
export default defineConfig({
  root,
  base: './',
  publicDir: false,
  clearScreen: false,
  logLevel: 'warn',
  plugins: [fixedFiles()],
  build: {
    outDir: resolve(root, '../dist-samples'),
    emptyOutDir: true,
    target: ['es2021', 'safari15'],
    sourcemap: false,
    modulePreload: { polyfill: false },
    rollupOptions: {
      input: Object.fromEntries(apps.map(app => [app, resolve(root, app, 'index.html')])),
      output: {
        // Code and styles all four apps use in one named chunk.
        manualChunks: id => (id.includes('/samples/common/') ? 'common' : undefined),
      },
    },
  },
});
