#!/usr/bin/env node
import module from 'node:module';

/**
 * The entry point, kept to one call before anything else loads. On Node 22.1
 * and later, module.enableCompileCache() keeps V8's compiled code for every
 * module loaded after it (zod alone is over 200) in os.tmpdir()/node-compile-cache,
 * so a cron tick's start-up is mostly spent running gsync, not compiling it
 * (bench/RESULTS.md, start-up). Node 20 has no such call and starts as before.
 * The cache is an optimisation Node never lets fail a program: it returns a
 * status instead of throwing; NODE_COMPILE_CACHE moves it and
 * NODE_DISABLE_COMPILE_CACHE=1 turns it off. The imports below are dynamic
 * because static ones would be compiled before this line runs.
 */
(module as { enableCompileCache?: () => unknown }).enableCompileCache?.();
await import('./main.js');
