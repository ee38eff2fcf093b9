import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from './helpers/temp.js';

const UNITS = path.resolve(import.meta.dirname, '..', 'systemd');
const hasAnalyze = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' }).status === 0;

let dir: string | undefined;

/** Instances of the template units as systemd would load them, verified; the lines that name them. */
function verify(patch: (service: string) => string = (s) => s): { status: number | null; complaints: string[] } {
  dir = tempDir('gsync-systemd-');
  fs.writeFileSync(path.join(dir, 'gsync@demo.service'), patch(fs.readFileSync(path.join(UNITS, 'gsync@.service'), 'utf8')));
  fs.copyFileSync(path.join(UNITS, 'gsync@.timer'), path.join(dir, 'gsync@demo.timer'));
  fs.copyFileSync(path.join(UNITS, 'gsync-watch@.service'), path.join(dir, 'gsync-watch@demo.service'));
  fs.copyFileSync(path.join(UNITS, 'gsync-verify@.service'), path.join(dir, 'gsync-verify@demo.service'));
  fs.copyFileSync(path.join(UNITS, 'gsync-verify@.timer'), path.join(dir, 'gsync-verify@demo.timer'));
  const units = ['./gsync@demo.service', './gsync@demo.timer', './gsync-watch@demo.service', './gsync-verify@demo.service', './gsync-verify@demo.timer'];
  const r = spawnSync('systemd-analyze', ['verify', ...units], { cwd: dir, encoding: 'utf8', timeout: 20_000 });
  // Warnings about unrelated units on the host say nothing about ours.
  const complaints = `${r.stdout}\n${r.stderr}`.split('\n').filter((l) => /gsync(-watch|-verify)?@demo/.test(l));
  return { status: r.status, complaints };
}

describe.skipIf(!hasAnalyze)('systemd units', () => {
  it('gsync@.service, gsync@.timer, gsync-watch@.service and the gsync-verify@ pair verify without a single complaint', () => {
    // ExecStart is /usr/bin/env gsync: verify checks that /usr/bin/env exists, not that gsync is installed.
    expect(verify()).toEqual({ status: 0, complaints: [] });
  });

  it('the check notices a bad setting (so a clean result means something)', () => {
    const { complaints } = verify((s) => s.replace('ProtectSystem=strict', 'ProtectSystem=stricter\nNoSuchKey=1'));
    expect(complaints.join('\n')).toMatch(/protect system value/i);
    expect(complaints.join('\n')).toMatch(/Unknown key 'NoSuchKey'/);
  });

  it('the timer starts the service of the same instance', () => {
    const timer = fs.readFileSync(path.join(UNITS, 'gsync@.timer'), 'utf8');
    // No Unit= line: a timer activates the service with its own name, gsync@NAME.service.
    expect(timer).not.toMatch(/^Unit=/m);
    expect(fs.readFileSync(path.join(UNITS, 'gsync@.service'), 'utf8')).toMatch(/^SuccessExitStatus=75$/m);
  });
});

// Plain reading, so these run where systemd-analyze is missing too.
describe('gsync-watch@.service', () => {
  it('is long-running, restarts after a crash but not for what needs a person', () => {
    const watch = fs.readFileSync(path.join(UNITS, 'gsync-watch@.service'), 'utf8');
    expect(watch).toMatch(/^Type=simple$/m);
    expect(watch).toMatch(/^ExecStart=\/usr\/bin\/env gsync --log-json watch$/m);
    expect(watch).toMatch(/^Restart=on-failure$/m);
    expect(watch).toMatch(/^RestartPreventExitStatus=2 77$/m);
    expect(watch).not.toMatch(/^TimeoutStartSec=/m);
  });

  it('has exactly the sandbox of gsync@.service', () => {
    // Everything from the sandbox comment on: what it may write, and what it may not touch.
    const sandbox = (unit: string) => {
      const text = fs.readFileSync(path.join(UNITS, unit), 'utf8');
      return text.slice(text.indexOf('# State, tokens and logs'));
    };
    expect(sandbox('gsync-watch@.service')).toBe(sandbox('gsync@.service'));
    expect(sandbox('gsync@.service')).toMatch(/^ProtectSystem=strict$/m);
  });
});

// Issue 31.8: what the units and the README say must hold on an npm install.
describe('the units as npm installs them', () => {
  const unitFiles = ['gsync@.service', 'gsync@.timer', 'gsync-watch@.service'];
  it('Documentation= names the README npm installs (under either global prefix), not a file nothing installs', () => {
    for (const unit of unitFiles) {
      const docs = /^Documentation=(.*)$/m.exec(fs.readFileSync(path.join(UNITS, unit), 'utf8'))![1]!.split(/\s+/);
      expect(docs, unit).toEqual(['file:///usr/lib/node_modules/gsync/README.md', 'file:///usr/local/lib/node_modules/gsync/README.md']);
    }
  });

  it('the timer sets Persistent= only with an OnCalendar= it could apply to', () => {
    const timer = fs.readFileSync(path.join(UNITS, 'gsync@.timer'), 'utf8');
    if (/^Persistent=/m.test(timer)) expect(timer).toMatch(/^OnCalendar=/m);
  });

  it("the README's metrics drop-in names config.example.json's textfile folder", () => {
    const example = JSON.parse(fs.readFileSync(path.join(UNITS, '..', 'config.example.json'), 'utf8')) as { metrics: { textfile: string } };
    const readme = fs.readFileSync(path.join(UNITS, '..', 'README.md'), 'utf8');
    expect(readme).toContain(`ReadWritePaths=${path.dirname(example.metrics.textfile)}\\n`);
    expect(readme).not.toMatch(/node_exporter\/textfile[/`]/);
  });
});

describe('gsync-verify@.service and .timer', () => {
  it('run gsync verify --repair weekly at a randomized moment, with the sandbox of gsync@.service', () => {
    const unit = (name: string) => fs.readFileSync(path.join(UNITS, name), 'utf8');
    const sandbox = (name: string) => unit(name).slice(unit(name).indexOf('# State, tokens and logs'));
    expect(sandbox('gsync-verify@.service')).toBe(sandbox('gsync@.service'));
    expect(unit('gsync-verify@.service')).toMatch(/^ExecStart=\/usr\/bin\/env gsync --log-json verify --repair$/m);
    expect(unit('gsync-verify@.service')).toMatch(/^SuccessExitStatus=75$/m);
    expect(unit('gsync-verify@.timer')).toMatch(/^OnCalendar=weekly$/m);
    expect(unit('gsync-verify@.timer')).toMatch(/^RandomizedDelaySec=\S+$/m);
    expect(unit('gsync-verify@.timer')).not.toMatch(/^Unit=/m);
  });
});
