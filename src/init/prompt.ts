import { lineReader, type LineReader } from '../auth/line-reader.js';

/** How long a question waits for an answer before init gives up (a terminal nobody watches). */
const ANSWER_WAIT_MS = 30 * 60_000;

/**
 * Questions at the terminal: asked on stderr (stdout may be a file),
 * answered on stdin. End of input (Ctrl-D) is an answer of its own:
 * `ask` then rejects, so init stops without writing anything.
 */
export class Prompter {
  private readonly lines: LineReader;

  constructor(
    stdin: NodeJS.ReadableStream,
    private readonly err: NodeJS.WritableStream,
  ) {
    this.lines = lineReader(stdin, ANSWER_WAIT_MS);
  }

  say(line: string): void {
    this.err.write(line + '\n');
  }

  /** The answer, trimmed; Enter alone takes `dflt` when there is one. */
  async ask(question: string, dflt?: string): Promise<string> {
    this.err.write(dflt ? `${question} [${dflt}]: ` : `${question}: `);
    const line = await this.lines.next();
    if (line === undefined) throw new EndOfAnswers();
    const answer = line.trim();
    return answer === '' && dflt !== undefined ? dflt : answer;
  }

  /** Asks until `check` returns no problem; the problem is said before asking again. */
  async askValid(question: string, dflt: string | undefined, check: (answer: string) => string | undefined): Promise<string> {
    for (;;) {
      const answer = await this.ask(question, dflt);
      const problem = check(answer);
      if (problem === undefined) return answer;
      this.say(`  ${problem}`);
    }
  }

  async confirm(question: string, dflt = true): Promise<boolean> {
    for (;;) {
      const a = (await this.ask(`${question} (${dflt ? 'Y/n' : 'y/N'})`)).toLowerCase();
      if (a === '') return dflt;
      if (a === 'y' || a === 'yes') return true;
      if (a === 'n' || a === 'no') return false;
    }
  }

  /** For the login flow, which reads the code itself. */
  readLine(): Promise<string | undefined> {
    return this.lines.next();
  }

  close(): void {
    this.lines.close();
  }
}

/** The person ended input (Ctrl-D) instead of answering. */
export class EndOfAnswers extends Error {
  constructor() {
    super('no answer (end of input): nothing written');
  }
}
