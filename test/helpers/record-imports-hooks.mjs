// Module resolution hooks (node:module register): append each resolved URL to the log file.
import fs from 'node:fs';

let log;

export function initialize(data) {
  log = data.log;
}

export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  if (log) fs.appendFileSync(log, `${resolved.url}\n`);
  return resolved;
}
