import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_CLIENT_ID } from '../src/server/index.js';
import { approve, assertBuilt } from './helpers/auth.js';
import { ARCHIVE_ID, GCP_ID, initWorld, type InitWorld } from './helpers/init-world.js';
import { gsyncAtTerminal, hasScript } from './helpers/pty.js';

/**
 * gsync init at a real pseudo-terminal (script(1)) on a machine with Globus
 * Connect Personal set up (a fake home: client-id.txt and config-paths) and
 * no Globus login yet: it asks only the name, the source directory and the
 * app's client id, finds the local collection itself, logs in through gsync
 * login's flow, searches for the destination (the endpoint left out), offers
 * to create the destination path, writes the config, and test-config passes
 * on it in the same run.
 */
let w: InitWorld;
beforeAll(() => {
  assertBuilt();
  if (!hasScript()) throw new Error('these tests need script(1) from util-linux (Debian: bsdutils) for a pseudo-terminal');
});
afterEach(async () => {
  await w?.cleanup();
});

describe('gsync init at a terminal', () => {
  it('asks only what it cannot find out, logs in, and the config it writes passes test-config at once (exit 0)', async () => {
    w = await initWorld();
    const out = path.join(w.base, 'b7.json');
    const r = await gsyncAtTerminal(['init', '--output', out], {
      env: w.env,
      answer: (url) => approve(url),
      timeoutMs: 90_000,
      prompts: [
        { after: /Job name .*: $/, type: 'beamline-7' },
        { after: /Source directory .*: $/, type: w.source },
        { after: /Globus native app client id .*: $/, type: DEMO_CLIENT_ID },
        { after: /Destination collection: .*: $/, type: 'tape' },
        { after: /Number \(or Enter to search again\): $/, type: '1' },
        { after: /Destination path on Tape archive incoming \[\/\]: $/, type: '/incoming/b7' },
        { after: /does not exist\. Create it\? \(Y\/n\): $/, type: '' },
      ],
    });
    expect(r.timedOut).toBe(false);
    // Said what it found, and from where; never asked for the source collection.
    expect(r.output).toContain(`Source collection ${GCP_ID}: Globus Connect Personal (from ${path.join(w.gcpDir, 'client-id.txt')})`);
    expect(r.output).not.toContain('Id of the collection that holds the source directory');
    // One login, through gsync login's flow, for Transfer (a GCP source needs no data_access).
    expect(r.output).toContain('No Globus login for this job yet: logging in now');
    expect(r.urls).toHaveLength(1);
    // The search showed the guest collection and left the endpoint out.
    expect(r.output).toMatch(new RegExp(`1\\) Tape archive incoming .*${ARCHIVE_ID}`));
    expect(r.output).toContain('(1 endpoint left out: not collections');
    expect(r.output).not.toMatch(/2\) Tape archive endpoint/);
    expect(r.output).toContain('Created /incoming/b7 on Tape archive incoming');
    expect(fs.statSync(path.join(w.archive, 'incoming', 'b7')).isDirectory()).toBe(true);

    expect(JSON.parse(fs.readFileSync(out, 'utf8'))).toEqual({
      name: 'beamline-7',
      source: { collection: GCP_ID, path: w.source },
      destination: { collection: ARCHIVE_ID, path: '/incoming/b7' },
      auth: { clientId: DEMO_CLIENT_ID },
      scan: { exclude: [] },
      deletes: { enabled: false },
    });
    const tokenFile = path.join(w.home, '.config', 'gsync', 'beamline-7.tokens.json');
    expect(fs.statSync(tokenFile).mode & 0o777).toBe(0o600);
    expect(r.output).toContain('all 11 checks passed: this job is ready for cron');
    expect(r.code).toBe(0);
  });

  it('Ctrl-D at a question: nothing written, exit 2', async () => {
    w = await initWorld();
    const out = path.join(w.base, 'b7.json');
    const r = await gsyncAtTerminal(['init', '--output', out], { env: w.env, prompts: [{ after: /Job name .*: $/, type: undefined }] });
    expect(r.output).toContain('gsync: no answer (end of input): nothing written');
    expect(r.code).toBe(2);
    expect(fs.existsSync(out)).toBe(false);
  });
});
