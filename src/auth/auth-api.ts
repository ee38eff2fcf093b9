/**
 * What credentials need from Globus Auth and Transfer, declared here so this
 * folder depends on method names only; src/globus's AuthClient and
 * TransferClient satisfy them, and tests pass small fakes.
 */
export interface TokenResponse {
  access_token: string;
  expires_in: number;
  resource_server: string;
  scope: string;
  refresh_token?: string | null;
  other_tokens?: TokenResponse[];
}

export interface AuthApi {
  authorizeUrl(p: { scopes: string; codeChallenge: string; state: string; redirectUri?: string }): string;
  exchangeAuthorizationCode(p: { code: string; codeVerifier: string; redirectUri?: string }): Promise<TokenResponse>;
  refreshToken(refreshToken: string): Promise<TokenResponse>;
  clientCredentials(scopes: string): Promise<TokenResponse>;
  revoke(token: string): Promise<unknown>;
}

/** The fields of GET endpoint/<id> that decide whether a data_access consent is needed. */
export interface CollectionInfo {
  id: string;
  entity_type?: string | null;
  high_assurance?: boolean | null;
  display_name?: string | null;
}

export interface CollectionLookup {
  getEndpoint(id: string): Promise<CollectionInfo>;
}

/** How a client (with or without a secret) is built; injected so tests use fakes. */
export type AuthApiFactory = (client: { clientId: string; clientSecret?: string }) => AuthApi;
