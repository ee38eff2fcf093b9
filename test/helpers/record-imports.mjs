// Preloaded with `node --import` (see test/startup.test.ts): every module URL the
// process resolves is appended to $GSYNC_IMPORTS_LOG, by the hooks below.
import { register } from 'node:module';

register('./record-imports-hooks.mjs', import.meta.url, { data: { log: process.env.GSYNC_IMPORTS_LOG } });
