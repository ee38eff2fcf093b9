import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { jobWorld, type JobWorld } from './helpers/job-world.js';
import { writeTree } from './server-support.js';

let w: JobWorld | undefined;
afterEach(async () => {
  await w?.cleanup();
  w = undefined;
});

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';

/**
 * Prometheus text format, read strictly: every line is a comment or
 * `name{labels} value`, and each sample's HELP and TYPE come before it.
 */
function parse(text: string): Map<string, { help: boolean; type: string; value: number; labels: string }> {
  const seen = new Map<string, { help: boolean; type: string; value: number; labels: string }>();
  const help = new Set<string>();
  const type = new Map<string, string>();
  expect(text.endsWith('\n')).toBe(true);
  for (const line of text.slice(0, -1).split('\n')) {
    let m: RegExpMatchArray | null;
    if ((m = line.match(new RegExp(`^# HELP (${NAME}) \\S.*$`)))) help.add(m[1]!);
    else if ((m = line.match(new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`)))) type.set(m[1]!, m[2]!);
    else if ((m = line.match(new RegExp(`^(${NAME})\\{((?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\]|\\\\.)*",?)*)\\} (\\S+)$`)))) {
      const name = m[1]!;
      expect(help.has(name), `HELP before ${name}`).toBe(true);
      expect(type.has(name), `TYPE before ${name}`).toBe(true);
      const value = Number(m[3]);
      expect(Number.isFinite(value), line).toBe(true);
      expect(seen.has(name), `one sample of ${name}`).toBe(false);
      seen.set(name, { help: true, type: type.get(name)!, value, labels: m[2]! });
    } else throw new Error(`not Prometheus text format: ${JSON.stringify(line)}`);
  }
  return seen;
}

describe('metrics textfile written by a run', () => {
  it('parses as Prometheus text and counts the files the run shipped', async () => {
    w = await jobWorld();
    const file = path.join(w.base, 'metrics', 'gsync.prom');
    w.config.metrics.textfile = file;
    writeTree(w.src, { 'a.txt': 'a', 'd/b.txt': 'bb', 'd/e/c.txt': 'ccc', 'f.txt': 'ffff' });

    const first = await w.run();
    expect(first.result).toBe('succeeded');
    const task = w.srv.tasks.get(first.taskId!)!;
    expect(task.filesTransferred).toBe(4);
    const m = parse(fs.readFileSync(file, 'utf8'));
    expect(m.get('gsync_last_run_transferred_files')).toMatchObject({ type: 'gauge', value: task.filesTransferred, labels: 'job="e2e"' });
    expect(m.get('gsync_last_run_transferred_bytes')?.value).toBe(10);
    expect(m.get('gsync_last_run_exit_code')?.value).toBe(0);
    expect(m.get('gsync_open_task_age_seconds')?.value).toBe(0);
    expect(m.get('gsync_last_success_timestamp_seconds')?.value).toBeGreaterThan(Date.now() / 1000 - 60);
    // No temporary file left beside it for the collector to trip over.
    expect(fs.readdirSync(path.dirname(file))).toEqual(['gsync.prom']);

    expect(m.get('gsync_transferred_files_total')).toMatchObject({ type: 'counter', value: 4 });
    expect(m.get('gsync_runs_total')?.value).toBe(1);

    const idle = await w.run();
    expect(idle.result).toBe('nothing-to-do');
    const afterIdle = parse(fs.readFileSync(file, 'utf8'));
    expect(afterIdle.get('gsync_last_run_transferred_files')?.value).toBe(0);
    // An idle run resets the last run's figures, never a counter (rate() over it stays meaningful).
    expect(afterIdle.get('gsync_transferred_files_total')?.value).toBe(4);
    expect(afterIdle.get('gsync_transferred_bytes_total')?.value).toBe(10);

    writeTree(w.src, { 'd/new.txt': 'n' });
    const second = await w.run();
    expect(second.files).toBe(1);
    const afterSecond = parse(fs.readFileSync(file, 'utf8'));
    expect(afterSecond.get('gsync_last_run_transferred_files')?.value).toBe(1);
    expect(afterSecond.get('gsync_transferred_files_total')?.value).toBe(5);
    expect(afterSecond.get('gsync_transferred_bytes_total')?.value).toBe(11);
    expect(afterSecond.get('gsync_tasks_succeeded_total')?.value).toBe(2);
    expect(afterSecond.get('gsync_tasks_failed_total')?.value).toBe(0);
    expect(afterSecond.get('gsync_runs_total')?.value).toBe(3);
    expect(afterSecond.get('gsync_open_tasks')?.value).toBe(0);

    // A task that FAILED counts once, and the retry that repairs it counts as a success.
    writeTree(w.src, { 'd/new.txt': 'nn' });
    w.srv.faults.failNextTask();
    expect((await w.run()).result).toBe('failed');
    const afterFail = parse(fs.readFileSync(file, 'utf8'));
    expect(afterFail.get('gsync_tasks_failed_total')?.value).toBe(1);
    expect(afterFail.get('gsync_tasks_succeeded_total')?.value).toBe(2);
    expect(afterFail.get('gsync_last_run_exit_code')?.value).toBe(1);
    expect((await w.run()).result).toBe('succeeded');
    const healed = parse(fs.readFileSync(file, 'utf8'));
    expect(healed.get('gsync_tasks_failed_total')?.value).toBe(1);
    expect(healed.get('gsync_tasks_succeeded_total')?.value).toBe(3);
    expect(healed.get('gsync_transferred_files_total')?.value).toBe(6);
    expect(healed.get('gsync_runs_total')?.value).toBe(5);
  });
});
