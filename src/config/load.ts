import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { z } from 'zod';
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
  const parsed = configSchema.safeParse(raw);
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
  if (issue.code === 'invalid_type' && issue.input === undefined) return `${key}: is required`;
  return `${key}: ${issue.message}`;
}

export function stateHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.XDG_STATE_HOME || path.join(env.HOME || os.homedir(), '.local', 'state');
}

export function configHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.XDG_CONFIG_HOME || path.join(env.HOME || os.homedir(), '.config');
}

export type { Config, ConfigInput };
