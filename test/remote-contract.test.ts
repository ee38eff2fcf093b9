import { staticTokenSource } from '../src/globus/token-source.js';
import { TransferClient } from '../src/globus/transfer-client.js';
import { MemoryRemote } from './support/memory-remote.js';
import { remoteContract } from './support/remote-contract.js';
import { SRC_ID, world } from './server-support.js';
import { tempDir } from './helpers/temp.js';
import fs from 'node:fs';

// The same suite against every Globus stand-in: the local server (through gsync's own client) and the in-memory remote.
remoteContract('local server', async () => {
  const w = await world();
  const client = new TransferClient({ baseUrl: w.srv.url, tokens: staticTokenSource(w.token), retry: { sleep: async () => {} } });
  return {
    remote: client,
    src: w.src,
    ended: async (id) => void (await w.srv.tasks.waitFor(id, ['SUCCEEDED', 'FAILED', 'INACTIVE'])),
    failNext: (code, description) => w.srv.faults.failNextTask({ code, description }),
    inactivateNext: (description) => w.srv.faults.inactivateNextTask({ description }),
    close: async () => {
      await client.close();
      await w.cleanup();
    },
  };
});

remoteContract('in memory', async () => {
  const src = tempDir('gsync-memory-remote-');
  const remote = new MemoryRemote({ [SRC_ID]: src });
  return {
    remote,
    src,
    ended: async () => {},
    failNext: (code, description) => remote.endNextTask({ status: 'FAILED', code, description }),
    inactivateNext: (description) => remote.endNextTask({ status: 'INACTIVE', description }),
    close: async () => {},
  };
});
