import { EXIT } from '../errors/exit-codes.js';
import { formatVersionInfo, versionInfo } from '../report/version-info.js';
import type { CommandContext } from './context.js';

export interface VersionCommandOptions {
  json?: boolean;
}

/** `gsync version [--json]`: gsync, Node and state schema versions, for bug reports. Reads no config. */
export async function versionCommand(opts: VersionCommandOptions, ctx: CommandContext): Promise<number> {
  const info = versionInfo();
  ctx.out.write(opts.json ? JSON.stringify(info) + '\n' : formatVersionInfo(info));
  return EXIT.ok;
}
