// Loaded with `node --import ./lib/register.mjs ...`: installs esm-hooks.mjs so that the
// @finos/fdc3-* 2.2.0 packages can be imported from plain Node (see that file for why).
import { register } from 'node:module';

register('./esm-hooks.mjs', import.meta.url);
