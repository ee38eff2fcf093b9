import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** /usr/bin/time gives each child's peak RSS. */
export const TIME = '/usr/bin/time';

export interface Sample {
  wallS: number;
  rssKb: number;
}

export interface Measured extends Sample {
  /** The last line of the child's stdout (gsync's summary), for the log. */
  last: string;
}

/**
 * One child process: wall time from here, peak RSS from /usr/bin/time. prefix is
 * put in front (nice -n -20 with --nice); a non-zero exit is an error.
 */
export function measure(cmd: string[], work: string, o: { prefix?: string[]; env?: NodeJS.ProcessEnv; quietStdout?: boolean } = {}): Measured {
  const timeFile = path.join(work, 'time.out');
  const outFile = path.join(work, 'stdout.out');
  const fd = fs.openSync(outFile, 'w');
  const argv = [...(o.prefix ?? []), TIME, '-f', '%e %M', '-o', timeFile, ...cmd];
  const t0 = process.hrtime.bigint();
  const r = spawnSync(argv[0]!, argv.slice(1), { stdio: ['ignore', o.quietStdout ? 'ignore' : fd, 'pipe'], env: o.env ?? process.env });
  const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
  fs.closeSync(fd);
  if (r.status !== 0) throw new Error(`${cmd.join(' ')} exited ${r.status}: ${r.stderr.toString()}`);
  const [, rss] = fs.readFileSync(timeFile, 'utf8').trim().split(/\s+/).slice(-2);
  const text = fs.readFileSync(outFile, 'utf8').trimEnd();
  return { wallS, rssKb: Number(rss), last: text.slice(text.lastIndexOf('\n') + 1) };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Whether a program is on PATH. */
export function has(program: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${program}`], { stdio: 'ignore' }).status === 0;
}

export function describeMachine(dir: string): string {
  const cpuinfo = fs.readFileSync('/proc/cpuinfo', 'utf8');
  const model = /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? os.cpus()[0]?.model ?? 'unknown';
  const fsType = spawnSync('stat', ['-f', '-c', '%T', dir]).stdout?.toString().trim() || 'unknown';
  const dev = spawnSync('df', ['--output=source,fstype', dir]).stdout?.toString().trim().split('\n')[1]?.trim() ?? '';
  const rsync = has('rsync') ? spawnSync('rsync', ['--version']).stdout.toString().split('\n')[0] : 'rsync: not installed';
  return [
    `machine: ${model}, ${os.cpus().length} cores (availableParallelism ${os.availableParallelism()}), ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM`,
    `kernel:  ${os.type()} ${os.release()}; node ${process.version}; ${rsync}`,
    `tree on: ${dir} (${fsType}${dev ? `; df: ${dev}` : ''})`,
  ].join('\n');
}

export function loadAverage(): string {
  return os.loadavg().map((l) => l.toFixed(2)).join(' ');
}

export function log(msg: string): void {
  process.stderr.write(`bench: ${msg}\n`);
}
