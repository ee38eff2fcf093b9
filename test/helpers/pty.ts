import { spawn, spawnSync } from 'node:child_process';
import { CLI } from './auth.js';

/**
 * The built CLI at a real pseudo-terminal: util-linux script(1) (in Debian's
 * essential bsdutils, so on every fresh Linux machine and CI runner) gives the
 * child a pty as stdin, stdout and stderr, relays what we write to it as
 * typing, and (-e) exits with the child's code. Output arrives as the terminal
 * shows it, typed lines echoed, with \r\n; `output` has the \r removed.
 */
export interface TerminalRun {
  code: number | null;
  output: string;
  /** Authorize URLs the child printed, in order. */
  urls: string[];
  timedOut: boolean;
}

export interface TerminalOptions {
  env: NodeJS.ProcessEnv;
  /** The line to type for each authorize URL printed (undefined types Ctrl-D: end of input). */
  answer?: (url: string) => Promise<string | undefined>;
  /** Shell redirections of the child's streams away from the terminal, e.g. '< /dev/null' or '> file'. */
  redirect?: string;
  timeoutMs?: number;
  /**
   * Questions to answer, in order: when the output after the previous answer
   * matches `after`, `type` is typed and Enter pressed (Ctrl-D when undefined).
   */
  prompts?: Array<{ after: RegExp; type: string | undefined }>;
}

export function hasScript(): boolean {
  return spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0;
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export function gsyncAtTerminal(args: string[], opts: TerminalOptions): Promise<TerminalRun> {
  const command = ['exec', process.execPath, CLI, ...args].map(quote).join(' ') + (opts.redirect ? ` ${opts.redirect}` : '');
  const child = spawn('script', ['-q', '-e', '-c', command, '/dev/null'], { env: { SHELL: '/bin/sh', ...opts.env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let raw = '';
  const urls: string[] = [];
  let answering = Promise.resolve();
  child.stdin.on('error', () => {}); // script may exit before reading
  const prompts = [...(opts.prompts ?? [])];
  let answeredUpTo = 0;
  child.stdout.on('data', (chunk: Buffer) => {
    raw += chunk.toString();
    for (let next = prompts[0]; next; next = prompts[0]) {
      const seen = raw.slice(answeredUpTo).replace(/\r/g, '');
      const m = next.after.exec(seen);
      if (!m) break;
      prompts.shift();
      answeredUpTo = raw.length;
      child.stdin.write(next.type === undefined ? '\x04' : next.type + '\n');
    }
    const found = raw
      .replace(/\r/g, '')
      .split('\n')
      .filter((l, i, all) => i < all.length - 1 && /^https?:\/\/\S+$/.test(l));
    for (const url of found.slice(urls.length)) {
      urls.push(url);
      answering = answering.then(async () => {
        let line: string | undefined;
        try {
          line = opts.answer ? await opts.answer(url) : 'no-answer-expected!';
        } catch (err) {
          raw += `[test] answering failed: ${(err as Error).message}\n`;
        }
        child.stdin.write(line === undefined ? '\x04' : line + '\n');
      });
    }
  });
  child.stderr.on('data', (c: Buffer) => (raw += c.toString()));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, opts.timeoutMs ?? 30_000);
  return new Promise((resolve, reject) => {
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      child.stdin.end();
      resolve({ code, output: raw.replace(/\r/g, ''), urls, timedOut });
    });
  });
}
