import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { METRICS, renderMetrics, writeMetricsFile, type RunMetrics } from '../src/metrics/textfile.js';
import { tempDir } from './helpers/temp.js';

/** A strict reading of the Prometheus text exposition format (version 0.0.4). */
function parsePrometheusText(text: string): Map<string, { type: string; samples: Array<{ labels: Record<string, string>; value: number }> }> {
  const families = new Map<string, { type: string; samples: Array<{ labels: Record<string, string>; value: number }> }>();
  const metricName = '[a-zA-Z_:][a-zA-Z0-9_:]*';
  expect(text.endsWith('\n')).toBe(true);
  for (const line of text.slice(0, -1).split('\n')) {
    let m: RegExpMatchArray | null;
    if ((m = line.match(new RegExp(`^# TYPE (${metricName}) (counter|gauge|histogram|summary|untyped)$`)))) {
      expect(families.has(m[1]!)).toBe(false);
      families.set(m[1]!, { type: m[2]!, samples: [] });
    } else if (line.startsWith('# HELP ')) {
      expect(line).toMatch(new RegExp(`^# HELP ${metricName} .+$`));
    } else if ((m = line.match(new RegExp(`^(${metricName})(?:\\{(.*)\\})? (\\S+)$`)))) {
      const family = families.get(m[1]!);
      expect(family, `sample ${m[1]} before its TYPE line`).toBeDefined();
      const labels: Record<string, string> = {};
      for (const pair of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?/g)) labels[pair[1]!] = pair[2]!;
      const value = Number(m[3]);
      expect(Number.isNaN(value)).toBe(false);
      family!.samples.push({ labels, value });
    } else {
      throw new Error(`not Prometheus text format: ${JSON.stringify(line)}`);
    }
  }
  return families;
}

const sample: RunMetrics = {
  job: 'beam"line\\7',
  lastSuccessSeconds: 1_763_900_000,
  lastRunExitCode: 0,
  lastRunTimestampSeconds: 1_763_900_000,
  lastRunDurationSeconds: 1.25,
  lastRunTransferredFiles: 12,
  lastRunTransferredBytes: 4096,
  dirtyPaths: 3,
  lastRunDeferredPaths: 1,
  openTaskAgeSeconds: 0,
  transferredFilesTotal: 40,
};

describe('metrics textfile', () => {
  it('parses as Prometheus text format with one sample per figure, counters typed as counters', () => {
    const families = parsePrometheusText(renderMetrics(sample));
    expect([...families.keys()]).toHaveLength(10);
    expect(families.get('gsync_transferred_files_total')!.type).toBe('counter');
    const bytes = families.get('gsync_last_run_transferred_bytes')!;
    expect(bytes.type).toBe('gauge');
    expect(bytes.samples).toEqual([{ labels: { job: 'beam\\"line\\\\7' }, value: 4096 }]);
    expect(families.get('gsync_last_run_duration_seconds')!.samples[0]!.value).toBe(1.25);
  });

  it('leaves out the last-success gauge until a run has succeeded', () => {
    const families = parsePrometheusText(renderMetrics({ ...sample, lastSuccessSeconds: undefined, lastRunExitCode: 1 }));
    expect(families.has('gsync_last_success_timestamp_seconds')).toBe(false);
    expect(families.get('gsync_last_run_exit_code')!.samples[0]!.value).toBe(1);
  });

  it('replaces the file whole and leaves no temporary file behind', () => {
    const dir = tempDir('gsync-metrics-');
    const file = path.join(dir, 'collector', 'gsync.prom');
    writeMetricsFile(file, sample);
    writeMetricsFile(file, { ...sample, lastRunTransferredFiles: 99 });
    expect(fs.readdirSync(path.dirname(file))).toEqual(['gsync.prom']);
    expect(parsePrometheusText(fs.readFileSync(file, 'utf8')).get('gsync_last_run_transferred_files')!.samples[0]!.value).toBe(99);
  });

  it('names every metric by the Prometheus conventions: counters end in _total, nothing else does', () => {
    for (const [, name, kind] of METRICS) {
      expect(name).toMatch(/^gsync_[a-z_]+$/);
      expect(name.endsWith('_total'), name).toBe(kind === 'counter');
    }
  });
});
