import { SCHEMA_VERSION } from '../state/migrations.js';
import { packageVersion } from '../version/package-version.js';

/** What a bug report needs to say which gsync it is about. */
export interface VersionInfo {
  gsync: string;
  node: string;
  platform: NodeJS.Platform;
  arch: string;
  /** The state database schema this gsync writes (PRAGMA user_version). */
  stateSchema: number;
}

/** Cheap on purpose: migrations.ts only holds SQL text, so nothing here loads SQLite. */
export function versionInfo(): VersionInfo {
  return { gsync: packageVersion(), node: process.version, platform: process.platform, arch: process.arch, stateSchema: SCHEMA_VERSION };
}

export function formatVersionInfo(info: VersionInfo): string {
  return [`gsync ${info.gsync}`, `node ${info.node} (${info.platform} ${info.arch})`, `state schema ${info.stateSchema}`].join('\n') + '\n';
}
