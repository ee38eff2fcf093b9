import { failure } from '../errors/errors.js';
import type { CommandContext } from './context.js';

// Placeholder so the CLI compiles while the command is being built.
export async function setTimeCommand(_opts: Record<string, unknown>, _ctx: CommandContext): Promise<number> {
  throw failure('gsync set-time is not implemented yet');
}
