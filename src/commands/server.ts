import fs from 'node:fs';
import path from 'node:path';
import { usageError } from '../errors/errors.js';
import { loadServerConfig } from '../server/config-file.js';
import { DEMO_CLIENT_ID, DEMO_SERVICE_CLIENT_ID, DEMO_SERVICE_CLIENT_SECRET, type CollectionSpec, type GlobusServerOptions } from '../server/options.js';
import { startGlobusServer } from '../server/server.js';
import type { CommandContext } from './context.js';

export interface ServerCommandOptions {
  port?: number;
  collection?: string[];
  serverConfig?: string;
}

/** `gsync server`: the local Globus-compatible server, in the foreground until SIGINT or SIGTERM. */
export async function serverCommand(opts: ServerCommandOptions, ctx: CommandContext, signals: NodeJS.EventEmitter = process): Promise<number> {
  let options: GlobusServerOptions = {};
  let afterStart: (srv: Awaited<ReturnType<typeof startGlobusServer>>) => void = () => {};
  if (opts.serverConfig) {
    const loaded = loadServerConfig(opts.serverConfig);
    options = loaded.options;
    afterStart = (srv) => {
      for (const o of loaded.nextTasks) srv.faults.nextTask(o);
      for (const id of loaded.consentRequired) srv.faults.requireConsent(id);
    };
  }
  const collections = [...(options.collections ?? []), ...(opts.collection ?? []).map(parseCollection)];
  if (collections.length === 0) throw usageError('no collections: give --collection ID=DIR (repeatable) or a --server-config file listing collections');
  for (const c of collections) {
    if (!fs.statSync(c.root, { throwIfNoEntry: false })?.isDirectory()) throw usageError(`collection ${c.id}: folder ${c.root} does not exist`, 'create it first');
  }
  const port = opts.port ? opts.port : (options.port ?? 0);

  const srv = await startGlobusServer({ ...options, port, collections });
  afterStart(srv);
  const say = (line: string) => ctx.out.write(line + '\n');
  say(`gsync local Globus server on ${srv.url}`);
  for (const c of srv.collections.all()) say(`collection ${c.id} (${c.kind}) -> ${c.root}`);
  say(`native app client id (auth.clientId in the job config): ${DEMO_CLIENT_ID}`);
  say(`service client: GLOBUS_CLIENT_ID=${DEMO_SERVICE_CLIENT_ID} GLOBUS_CLIENT_SECRET=${DEMO_SERVICE_CLIENT_SECRET}`);
  say(`export GLOBUS_SDK_SERVICE_URL_TRANSFER=${srv.env.GLOBUS_SDK_SERVICE_URL_TRANSFER}`);
  say(`export GLOBUS_SDK_SERVICE_URL_AUTH=${srv.env.GLOBUS_SDK_SERVICE_URL_AUTH}`);
  say('Ctrl-C (SIGINT) or SIGTERM stops it.');

  await new Promise<void>((resolve) => {
    const stop = () => {
      signals.off('SIGINT', stop);
      signals.off('SIGTERM', stop);
      resolve();
    };
    signals.on('SIGINT', stop);
    signals.on('SIGTERM', stop);
  });
  await srv.close();
  say('stopped');
  return 0;
}

function parseCollection(arg: string): CollectionSpec {
  const i = arg.indexOf('=');
  if (i <= 0 || i === arg.length - 1) throw usageError(`--collection "${arg}" must look like ID=DIR`);
  const id = arg.slice(0, i);
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) throw usageError(`--collection "${arg}": "${id}" is not a UUID`);
  return { id, root: path.resolve(arg.slice(i + 1)) };
}
