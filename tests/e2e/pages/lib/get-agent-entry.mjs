// Bundled at test time (esbuild) into pages/lib/get-agent.js: the official getAgent() for the
// test pages, as an unmodified FDC3 app would use it.
import { getAgent } from '@finos/fdc3-get-agent';

window.getAgentForTest = getAgent;
