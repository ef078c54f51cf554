import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

// One HTML entry per window. Output goes to ui/dist, which tauri.conf.json
// serves through its custom protocol at the root, so absolute asset paths work.
export default defineConfig({
  root,
  clearScreen: false,
  server: { port: 5173, strictPort: true },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // WebKitGTK (Linux), WebView2 (Windows), WKWebView (macOS).
    target: ['es2021', 'safari15'],
    sourcemap: false,
    // The polyfill fetch()es preloads, which connect-src in the CSP does not allow;
    // every target webview supports modulepreload or just loads the import.
    modulePreload: { polyfill: false },
    rollupOptions: {
      input: {
        index: resolve(root, 'index.html'),
        resolver: resolve(root, 'resolver.html'),
        launcher: resolve(root, 'launcher.html'),
        settings: resolve(root, 'settings.html'),
      },
      output: {
        // Code the windows share (IPC, DOM helpers) in one named chunk.
        manualChunks(id) {
          if (id.includes('/node_modules/') || id.includes('/src/ipc/') || id.includes('/src/common/')) return 'shared';
          return undefined;
        },
      },
    },
  },
});
