// Node module-resolution hooks for the 2.2.0 @finos/fdc3-* packages.
//
// Those packages ship ES modules (`dist/**/*.js` with `import`/`export`) but their
// package.json has no `"type": "module"`, and their relative and deep imports omit
// the file extension (`from './DesktopAgentProxy'`, `@finos/fdc3-schema/dist/generated/api/BrowserTypes`).
// Node's ESM loader accepts neither, so:
//   resolve: when a specifier fails to resolve and it is an @finos import (or is
//            imported from inside an @finos package), retry with `.js`, then `/index.js`;
//   load:    treat every `.js` file under node_modules/@finos/ as an ES module.
// Everything else goes to Node's default loader untouched.
// (Upstream fixed the packaging in 2.2.2; the tests pin 2.2.0 on purpose.)

const FINOS_DIR = '/node_modules/@finos/';

function concernsFinos(specifier, parentURL) {
  return specifier.startsWith('@finos/') || (parentURL ?? '').includes(FINOS_DIR);
}

export async function resolve(specifier, context, nextResolve) {
  try {
    return await nextResolve(specifier, context);
  } catch (err) {
    const retryable = err?.code === 'ERR_MODULE_NOT_FOUND' || err?.code === 'ERR_UNSUPPORTED_DIR_IMPORT';
    if (!retryable || !concernsFinos(specifier, context.parentURL) || /\.[cm]?js$/.test(specifier)) throw err;
    for (const suffix of ['.js', '/index.js']) {
      try {
        return await nextResolve(specifier + suffix, context);
      } catch {
        // try the next form; the original error is the useful one if none works
      }
    }
    throw err;
  }
}

export async function load(url, context, nextLoad) {
  if (url.startsWith('file:') && url.includes(FINOS_DIR) && url.endsWith('.js')) {
    return nextLoad(url, { ...context, format: 'module' });
  }
  return nextLoad(url, context);
}
