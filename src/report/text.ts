/** The first line of a message: where one line is wanted and the rest (an FTP transcript, a stack) is detail. */
export const firstLine = (text: string): string => text.split('\n')[0]!;

/** The first line of an error's message, whatever was thrown. */
export const errorLine = (err: unknown): string => firstLine(err instanceof Error ? err.message : String(err));

/** A message of several lines as one line (commander's usage errors end in newlines and indent their detail). */
export const joinLines = (text: string): string => text.replace(/\s*\n\s*/g, ' ').trim();
