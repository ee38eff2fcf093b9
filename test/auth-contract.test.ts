import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuthApi } from '../src/auth/auth-api.js';
import { AuthClient, createPkcePair } from '../src/globus/auth-client.js';
import { GlobusApiError } from '../src/globus/errors.js';
import { DEMO_CLIENT_ID } from '../src/server/index.js';
import { FakeAuth } from './auth-fake.js';
import { TRANSFER_SCOPE, world, type World } from './server-support.js';

/** One Globus Auth stand-in: the API, and what a person does in the browser (log in, approve, copy the code). */
interface AuthHarness {
  api: AuthApi;
  approve(authorizeUrl: string): Promise<string>;
  close(): Promise<void>;
}

/**
 * The rules the login and refresh code relies on, checked against test/auth-fake.ts
 * (used by the fast credential tests) and against the local server through the real
 * AuthClient, so the fake cannot drift from the server the end-to-end tests use.
 */
function authContract(name: string, make: () => Promise<AuthHarness>): void {
  describe(`AuthApi contract: ${name}`, () => {
    let h: AuthHarness;
    beforeEach(async () => {
      h = await make();
    });
    afterEach(async () => {
      await h.close();
    });

    async function login() {
      const p = createPkcePair();
      const code = await h.approve(h.api.authorizeUrl({ scopes: TRANSFER_SCOPE, codeChallenge: p.challenge, state: 's' }));
      return { p, code };
    }

    it('exchanges a code for tokens with the PKCE verifier, once', async () => {
      const { p, code } = await login();
      const tokens = await h.api.exchangeAuthorizationCode({ code, codeVerifier: p.verifier });
      expect(tokens.access_token).toBeTruthy();
      expect(tokens.refresh_token).toBeTruthy();
      expect(tokens.resource_server).toBe('transfer.api.globus.org');
      const again = await h.api.exchangeAuthorizationCode({ code, codeVerifier: p.verifier }).catch((e: unknown) => e);
      expect(again).toMatchObject({ code: 'invalid_grant', kind: 'auth' });
    });

    it('refuses a code with the wrong verifier as invalid_grant', async () => {
      const { code } = await login();
      const err = await h.api.exchangeAuthorizationCode({ code, codeVerifier: createPkcePair().verifier }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(GlobusApiError);
      expect(err).toMatchObject({ code: 'invalid_grant', kind: 'auth' });
    });

    it('refresh gives a new access token; a revoked refresh token is invalid_grant', async () => {
      const { p, code } = await login();
      const tokens = await h.api.exchangeAuthorizationCode({ code, codeVerifier: p.verifier });
      const refreshed = await h.api.refreshToken(tokens.refresh_token!);
      expect(refreshed.access_token).not.toBe(tokens.access_token);
      const live = refreshed.refresh_token ?? tokens.refresh_token!;
      await h.api.revoke(live);
      const err = await h.api.refreshToken(live).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'invalid_grant', kind: 'auth' });
    });
  });
}

authContract('test/auth-fake.ts', async () => {
  const fake = new FakeAuth();
  return {
    api: fake,
    approve: async (url) => new URL(url).searchParams.get('fake_code')!,
    close: async () => {},
  };
});

authContract('local server', async () => {
  const w: World = await world();
  const api = new AuthClient({ baseUrl: w.srv.url, clientId: DEMO_CLIENT_ID, retry: { sleep: async () => {} } });
  return {
    api,
    // The server's approval page shows the code, as Globus's does for a native app.
    approve: async (url) => /<code id="auth-code">([^<]+)<\/code>/.exec(await (await fetch(url)).text())![1]!,
    close: async () => {
      await api.close();
      await w.cleanup();
    },
  };
});
