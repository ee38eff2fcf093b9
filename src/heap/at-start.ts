import { keepYoungGenerationSmall } from './young-generation.js';

/**
 * Imported first by main.ts, so that it runs before the CLI's modules load:
 * loading them is already enough to double the young generation twice, and
 * V8 does not give a grown semi-space back (./young-generation.ts).
 */
keepYoungGenerationSmall();
