import { describe, expect, it } from 'vitest';
import { formatScanProgress, formatTaskProgress, ProgressLine, progressFor, runProgress, type ProgressStream } from '../src/report/progress-line.js';

/** A terminal-like stream that records every raw write. */
function fakeTty(columns = 80): ProgressStream & { raw: string[] } {
  const raw: string[] = [];
  const s = {
    isTTY: true,
    columns,
    raw,
    write(chunk: unknown) {
      raw.push(String(chunk));
      return true;
    },
  };
  return s as unknown as ProgressStream & { raw: string[] };
}

/** What a terminal would show after the writes: \r returns to column 0, ESC[K clears to the end of the row. */
function screen(raw: string[]): string[] {
  const rows: string[] = [''];
  let col = 0;
  const text = raw.join('');
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (text.startsWith('\x1b[K', i)) {
      rows[rows.length - 1] = rows[rows.length - 1]!.slice(0, col);
      i += 2;
    } else if (ch === '\r') col = 0;
    else if (ch === '\n') {
      rows.push('');
      col = 0;
    } else {
      const row = rows[rows.length - 1]!;
      rows[rows.length - 1] = row.slice(0, col) + ch + row.slice(col + 1);
      col++;
    }
  }
  return rows;
}

describe('progress line formatting', () => {
  it('scan: entries are files plus directories, with a rate per second and thousands separators', () => {
    expect(formatScanProgress({ files: 110_000, dirs: 10_000, changed: 12 }, 2_666.67)).toBe('scanning: 120,000 entries, 45,000/s, 12 changed');
    expect(formatScanProgress({ files: 999, dirs: 1, changed: 1_234 }, 1000)).toBe('scanning: 1,000 entries, 1,000/s, 1,234 changed');
  });

  it('scan: no rate before any time has passed', () => {
    expect(formatScanProgress({ files: 5, dirs: 0, changed: 0 }, 0)).toBe('scanning: 5 entries, 0 changed');
  });

  it('task: files done (skipped count as done) over files, and bytes in decimal SI units, as everywhere else (issue 31.7)', () => {
    const task = { task_id: '1f2e3d4c-aaaa-bbbb-cccc-000000000000', status: 'ACTIVE' as const, files: 5000, files_transferred: 1100, files_skipped: 100, bytes_transferred: 3.4e9 };
    expect(formatTaskProgress(task)).toBe('task 1f2e3d4c ACTIVE: 1,200/5,000 files, 3.4 GB');
    expect(formatTaskProgress({ ...task, files: 0, files_transferred: 0, files_skipped: 0, bytes_transferred: 0 })).toBe('task 1f2e3d4c ACTIVE: counting files, 0 B');
    expect(formatTaskProgress({ ...task, status: 'INACTIVE', nice_status: 'PERMISSION_DENIED' })).toContain('INACTIVE (PERMISSION_DENIED)');
  });
});

describe('ProgressLine', () => {
  it('redraws one row in place and leaves nothing behind when stopped', () => {
    const s = fakeTty();
    let t = 0;
    const line = new ProgressLine(s, 100, () => t);
    line.update('scanning: 10 entries');
    t = 200;
    line.update('scanning: 20 entries');
    expect(screen(s.raw)).toEqual(['scanning: 20 entries']);
    line.stop();
    expect(screen(s.raw)).toEqual(['']);
  });

  it('throttles redraws, but a forced update always draws', () => {
    const s = fakeTty();
    let t = 0;
    const line = new ProgressLine(s, 100, () => t);
    line.update('a');
    t = 50;
    line.update('b');
    expect(screen(s.raw)).toEqual(['a']);
    line.update('c', true);
    expect(screen(s.raw)).toEqual(['c']);
    line.stop();
  });

  it('a log line written meanwhile gets its own row and the progress line is redrawn under it', () => {
    const s = fakeTty();
    const line = new ProgressLine(s, 0);
    line.update('scanning: 1,000,000 entries, 50,000/s, 3 changed');
    s.write('05:00:00 WARN short\n');
    expect(screen(s.raw)).toEqual(['05:00:00 WARN short', 'scanning: 1,000,000 entries, 50,000/s, 3 changed']);
    line.stop();
    s.write('after\n');
    expect(screen(s.raw)).toEqual(['05:00:00 WARN short', 'after', '']);
  });

  it('cuts text to the terminal width so the row never wraps', () => {
    const s = fakeTty(30);
    const line = new ProgressLine(s, 0);
    line.update('x'.repeat(100));
    expect(screen(s.raw)[0]!.length).toBe(29);
    line.stop();
    // A pty whose size was never set says 0 columns: assume 80.
    const z = fakeTty(0);
    const l0 = new ProgressLine(z, 0);
    l0.update('y'.repeat(100));
    expect(screen(z.raw)[0]!.length).toBe(79);
    l0.stop();
  });

  it('only at a terminal and never with --quiet', () => {
    expect(progressFor({ ...fakeTty(), isTTY: false } as ProgressStream, false)).toBeNull();
    expect(progressFor(fakeTty(), true)).toBeNull();
    const line = progressFor(fakeTty(), false);
    expect(line).toBeInstanceOf(ProgressLine);
    line!.stop();
    expect(runProgress(null)).toEqual({ onScanProgress: undefined, onTaskPoll: undefined });
  });

  it('--progress draws it without a terminal (and with --quiet); --no-progress never, even at a terminal (issue 31.14)', () => {
    const pipe = { ...fakeTty(), isTTY: false } as ProgressStream;
    const forced = progressFor(pipe, true, true);
    expect(forced).toBeInstanceOf(ProgressLine);
    forced!.stop();
    expect(progressFor(fakeTty(), false, false)).toBeNull();
  });
});
