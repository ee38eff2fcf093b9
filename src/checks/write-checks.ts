import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Config } from '../config/schema.js';
import { fail, ok, type CheckResult } from './result.js';

/**
 * What a run will write besides the state database, and the hooks it will
 * start: checked here so that test-config's "ready for cron" holds. Nothing is
 * created: a missing folder (a log directory the systemd unit has not made yet)
 * is a line saying how to make it. A line appears only for what is configured.
 */
export function writeChecks(config: Config, env: NodeJS.ProcessEnv): CheckResult[] {
  const results: CheckResult[] = [];
  if (config.log.file) results.push(fileCanBeWritten('log file', config.log.file, 'log.file', config.file, 0o700));
  if (config.metrics.textfile) results.push(fileCanBeWritten('metrics textfile', config.metrics.textfile, 'metrics.textfile', config.file, 0o755));
  for (const key of ['onSucceeded', 'onFailed'] as const) {
    const argv = config.hooks[key];
    if (argv) results.push(checkHookProgram(`hooks.${key}`, argv[0]!, env, config.file));
  }
  return results;
}

function fileCanBeWritten(check: string, file: string, key: string, configFile: string, dirMode: number): CheckResult {
  const dir = path.dirname(file);
  if (fs.existsSync(file)) {
    return writable(file) ? ok(check, file, 'can be written') : fail(check, file, `is not writable by ${userName()}`, `give ${userName()} write permission on it, or fix ${key} in ${configFile}`);
  }
  let existing = dir;
  while (!fs.existsSync(existing)) existing = path.dirname(existing);
  if (!fs.statSync(existing).isDirectory()) return fail(check, file, `${existing} is not a directory`, `fix ${key} in ${configFile}`);
  if (writable(existing)) return ok(check, file, existing === dir ? 'can be created' : `can be created (gsync makes ${dir})`);
  const mode = dirMode.toString(8).padStart(4, '0');
  return existing === dir
    ? fail(check, file, `${dir} is not writable by ${userName()}`, `give ${userName()} write permission on ${dir}, or fix ${key} in ${configFile}`)
    : fail(check, file, `${dir} does not exist and ${userName()} cannot create it`, `run: sudo install -d -o ${who()} -g ${group()} -m ${mode} ${dir}`);
}

/** A hook that cannot start fails every run that owes it: its program must exist and be executable now. */
function checkHookProgram(key: string, program: string, env: NodeJS.ProcessEnv, configFile: string): CheckResult {
  const hint = `fix ${key} in ${configFile} (its first element is the program, run without a shell)`;
  if (program.includes('/')) {
    if (!fs.existsSync(program)) return fail(key, program, 'does not exist', hint);
    return executable(program) ? ok(key, program, 'is executable') : fail(key, program, `is not executable by ${userName()}`, `run: chmod +x ${program}, or ${hint}`);
  }
  for (const dir of (env.PATH ?? '').split(':').filter(Boolean)) {
    const candidate = path.join(dir, program);
    if (fs.existsSync(candidate) && executable(candidate)) return ok(key, program, `is ${candidate}`);
  }
  return fail(key, program, `is not found on PATH (${env.PATH ?? ''})`, `give its absolute path, or ${hint}`);
}

function writable(p: string): boolean {
  try {
    fs.accessSync(p, fs.constants.W_OK | (fs.statSync(p).isDirectory() ? fs.constants.X_OK : 0));
    return true;
  } catch {
    return false;
  }
}

function executable(p: string): boolean {
  try {
    return fs.statSync(p).isFile() && (fs.accessSync(p, fs.constants.X_OK), true);
  } catch {
    return false;
  }
}

function who(): string {
  try {
    return os.userInfo().username;
  } catch {
    return String(process.getuid?.() ?? 'USER');
  }
}

/** The primary group's name is not in os.userInfo(); a system user made by useradd has a group of its own name. */
function group(): string {
  return who();
}

function userName(): string {
  return `user ${who()}`;
}
