export { startGlobusServer, type GlobusServer, type IssueTokensOptions } from './server.js';
export {
  DEMO_CLIENT_ID,
  DEMO_SERVICE_CLIENT_ID,
  DEMO_SERVICE_CLIENT_SECRET,
  DEMO_SERVICE_ACCOUNT_ENV,
  type ClientSpec,
  type CollectionKind,
  type CollectionSpec,
  type GlobusServerOptions,
} from './options.js';
export { Faults, type FaultAction, type FaultRule, type TaskOutcomeFault } from './faults.js';
export { NATIVE_REDIRECT_URI } from './auth-routes.js';
export type { TransferTask, TaskStatus } from './task.js';
export type { TokenResponseDocument } from './tokens.js';
export { loadServerConfig, type ServerConfigFile } from './config-file.js';
