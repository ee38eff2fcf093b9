import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type * as z from 'zod';
import { configError } from '../errors/errors.js';
import { configSchema, type Config, type ConfigInput } from './schema.js';

/** --config FILE, else $GSYNC_CONFIG, else ./gsync.json. */
export function resolveConfigPath(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(flag ?? env.GSYNC_CONFIG ?? 'gsync.json');
}

export function loadConfig(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): Config {
  const file = resolveConfigPath(flag, env);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw configError(
      code === 'ENOENT' ? `config file ${file} does not exist` : `config file ${file} cannot be read (${code})`,
      'pass --config FILE or set GSYNC_CONFIG',
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw configError(`config file ${file} is not valid JSON: ${(err as Error).message}`);
  }
  const result = parseConfig(raw, file, env);
  if (!result.ok) throw configError(`${file}: ${result.errors[0]}`, result.errors.length > 1 ? `${result.errors.length - 1} more problem(s): run gsync test-config` : undefined);
  return result.config;
}

export type ParseResult = { ok: true; config: Config } | { ok: false; errors: string[] };

/** Validation returns data: every problem, one line each, naming the key. */
export function parseConfig(raw: unknown, file = '<inline>', env: NodeJS.ProcessEnv = process.env): ParseResult {
  // reportInput: without it zod 4 leaves issue.input undefined, and every wrong type would read as missing.
  // jitless: a config is parsed once a process; compiling a fast path for each of its objects
  // (new Function) costs a cron tick more start-up than the one parse saves (bench/RESULTS.md, start-up).
  const parsed = configSchema.safeParse(raw, { reportInput: true, jitless: true });
  if (!parsed.success) return { ok: false, errors: parsed.error.issues.map(formatIssue) };
  const c = parsed.data;
  const statePath = c.state.path ?? path.join(stateHome(env), 'gsync', `${c.name}.db`);
  return {
    ok: true,
    config: {
      ...c,
      file,
      source: { ...c.source, collectionPath: c.source.collectionPath ?? c.source.path },
      state: { path: statePath },
      auth: { ...c.auth, tokenFile: c.auth.tokenFile ?? path.join(configHome(env), 'gsync', `${c.name}.tokens.json`) },
      // Beside the state database, per job, so two jobs sharing a state directory keep their manifests apart.
      hooks: { ...c.hooks, manifestDir: c.hooks.manifestDir ?? path.join(path.dirname(statePath), `${c.name}.manifests`) },
    },
  };
}

export function formatIssue(issue: z.core.$ZodIssue): string {
  const key = issue.path.map(String).join('.') || '(top level)';
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.map((k) => (key === '(top level)' ? k : `${key}.${k}`));
    return `unknown key ${keys.join(', ')}: remove it or check its spelling in config.example.json`;
  }
  if (issue.code === 'invalid_type') {
    if (issue.input === undefined) return `${key}: is required`;
    return `${key}: expected ${EXPECTED[issue.expected] ?? issue.expected}, got ${describeValue(issue.input)}`;
  }
  if (issue.code === 'invalid_value' && 'input' in issue) return `${key}: ${issue.message}, got ${describeValue(issue.input)}`;
  return `${key}: ${issue.message}`;
}

/** zod's type names, as a person editing JSON reads them. */
const EXPECTED: Record<string, string> = {
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  string: 'a string',
  array: 'a list ([...])',
  object: 'an object ({...})',
};

/** What the file holds, as JSON would write it: the string "60", the number 1.5, true, a list. */
function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  switch (typeof value) {
    case 'string':
      return `the string ${JSON.stringify(value.length > 60 ? value.slice(0, 57) + '...' : value)}`;
    case 'number':
      return `the number ${value}`;
    case 'boolean':
      return String(value);
    case 'object':
      return 'an object';
    default:
      return typeof value;
  }
}

export function stateHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.XDG_STATE_HOME || path.join(env.HOME || os.homedir(), '.local', 'state');
}

export function configHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.XDG_CONFIG_HOME || path.join(env.HOME || os.homedir(), '.config');
}

export type { Config, ConfigInput };
