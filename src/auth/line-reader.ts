import readline from 'node:readline';

export interface LineReader {
  /** The next line, or undefined at end of input or after `waitMs` with nothing. */
  next(): Promise<string | undefined>;
  close(): void;
}

/**
 * Lines from a stream, one at a time. End of input (stdin from /dev/null
 * under cron or systemd) answers undefined at once; `waitMs` bounds the wait
 * on a pipe that stays open with nobody writing, so a login never hangs.
 */
export function lineReader(input: NodeJS.ReadableStream, waitMs: number): LineReader {
  const rl = readline.createInterface({ input, terminal: false, crlfDelay: Infinity });
  const lines: string[] = [];
  const waiting: ((l: string | undefined) => void)[] = [];
  let ended = false;
  rl.on('line', (l) => {
    const w = waiting.shift();
    if (w) w(l);
    else lines.push(l);
  });
  rl.on('close', () => {
    ended = true;
    for (const w of waiting.splice(0)) w(undefined);
  });
  return {
    next() {
      if (lines.length) return Promise.resolve(lines.shift());
      if (ended) return Promise.resolve(undefined);
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          const i = waiting.indexOf(done);
          if (i >= 0) waiting.splice(i, 1);
          resolve(undefined);
        }, waitMs);
        timer.unref?.();
        const done = (l: string | undefined) => {
          clearTimeout(timer);
          resolve(l);
        };
        waiting.push(done);
      });
    },
    close() {
      rl.close();
    },
  };
}
