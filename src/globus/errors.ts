import { STATUS_CODES } from 'node:http';
import { GsyncError, type ErrorKind } from '../errors/errors.js';
import { causeChain } from '../errors/cause-chain.js';

export type GlobusService = 'transfer' | 'auth';

const SERVICE_NAME: Record<GlobusService, string> = { transfer: 'Globus Transfer', auth: 'Globus Auth' };

export const LOGIN_HINT = 'run: gsync login';

/** What an error body says, whichever of the two Globus error shapes it uses. */
export interface ErrorBody {
  /** Transfer's `code` ("ClientError.NotFound"), or Auth's OAuth `error` / JSON:API `errors[0].code`. */
  code: string;
  message: string;
  requestId?: string;
  requiredScopes: string[];
  /** Session requirements from `authorization_parameters` (other than scopes), when the body carries them. */
  session?: SessionRequirements;
}

/**
 * What `authorization_parameters` can demand of the login session (Globus Auth
 * requirements errors, e.g. 403 AuthPolicyFailed): only a fresh interactive
 * login can meet them.
 */
export interface SessionRequirements {
  policies: string[];
  identities: string[];
  singleDomain: string[];
  mfa: boolean;
  message?: string;
}

export interface GlobusApiErrorInit extends ErrorBody {
  service: GlobusService;
  httpStatus: number;
  method: string;
  path: string;
}

/**
 * An error answer from Globus. `kind` says what the operator must do: 'auth'
 * (exit 77) when a login or consent is needed, 'failure' otherwise.
 */
export class GlobusApiError extends GsyncError {
  readonly service: GlobusService;
  readonly httpStatus: number;
  readonly code: string;
  /** Globus's own message, possibly several lines (endpoint errors carry FTP transcripts). */
  readonly globusMessage: string;
  readonly requestId?: string;
  readonly method: string;
  readonly path: string;

  constructor(init: GlobusApiErrorInit, kind: ErrorKind = kindFor(init), hint?: string) {
    const firstLine = init.message.split('\n')[0]?.trim() ?? '';
    const id = init.requestId ? ` (request_id ${init.requestId})` : '';
    super(kind, `${SERVICE_NAME[init.service]} ${init.method} ${init.path}: ${init.httpStatus} ${init.code}: ${firstLine}${id}`, {
      hint: hint ?? hintFor(init, kind),
    });
    this.name = 'GlobusApiError';
    this.service = init.service;
    this.httpStatus = init.httpStatus;
    this.code = init.code;
    this.globusMessage = init.message;
    this.requestId = init.requestId;
    this.method = init.method;
    this.path = init.path;
  }

  /** mkdir of a directory that is already there: `ExternalError.MkdirFailed.Exists`. */
  get isAlreadyExists(): boolean {
    return /(^|\.)Exists$/.test(this.code);
  }

  get isNotFound(): boolean {
    return this.httpStatus === 404 || this.code.endsWith('NotFound');
  }
}

/** The collection needs a consent the current tokens lack; carries the scopes to request. */
export class ConsentRequiredError extends GlobusApiError {
  readonly requiredScopes: string[];

  constructor(init: GlobusApiErrorInit) {
    super(init, 'auth', `${LOGIN_HINT} (to consent to ${init.requiredScopes.join(' ') || 'the required scopes'})`);
    this.name = 'ConsentRequiredError';
    this.requiredScopes = init.requiredScopes;
  }
}

/** No answer at all after every retry: refused, reset, or timed out. */
export class GlobusNetworkError extends GsyncError {
  readonly service: GlobusService;
  readonly networkCode?: string;

  constructor(service: GlobusService, method: string, path: string, attempts: number, cause: unknown) {
    const code = networkCode(cause);
    const why = (code && NETWORK_REASON[code]) ?? code ?? (cause instanceof Error ? cause.message : 'network error');
    super('failure', `${SERVICE_NAME[service]} ${method} ${path}: no answer after ${attempts} attempt(s): ${why}`, {
      cause,
      hint: 'check the network path to Globus; the next run will try again',
    });
    this.name = 'GlobusNetworkError';
    this.service = service;
    this.networkCode = code;
  }
}

/** A 2xx whose body does not look like the documented response: an API change or a wrong URL. */
export function unexpectedResponse(service: GlobusService, method: string, path: string, problem: string): GsyncError {
  return new GsyncError('failure', `${SERVICE_NAME[service]} ${method} ${path}: unexpected response: ${problem}`, {
    hint: `check ${service === 'transfer' ? 'GLOBUS_SDK_SERVICE_URL_TRANSFER' : 'GLOBUS_SDK_SERVICE_URL_AUTH'} if it is set`,
  });
}

/**
 * Any error carrying session requirements in authorization_parameters is an
 * authentication problem (exit 77): the login must be redone so that it meets
 * them. A service account (client credentials) cannot log in interactively,
 * so for it the message says which requirement it cannot satisfy.
 */
export class SessionRequiredError extends GlobusApiError {
  readonly session: SessionRequirements;

  constructor(init: GlobusApiErrorInit & { session: SessionRequirements }, serviceAccount = false) {
    const what = describeSession(init.session);
    super(
      { ...init, message: `${init.session.message ?? init.message.split('\n')[0] ?? ''} (requires ${what})` },
      'auth',
      serviceAccount
        ? `a service account (client credentials) cannot satisfy ${what}: have the collection's policy exempt this client, or run the job as a user with gsync login`
        : `${LOGIN_HINT} again: a fresh login that satisfies ${what}`,
    );
    this.name = 'SessionRequiredError';
    this.session = init.session;
  }

  /** The same error, worded for a service account. */
  forServiceAccount(): SessionRequiredError {
    return new SessionRequiredError(
      { service: this.service, httpStatus: this.httpStatus, method: this.method, path: this.path, code: this.code, message: this.globusMessage, requestId: this.requestId, requiredScopes: [], session: this.session },
      true,
    );
  }
}

export function describeSession(s: SessionRequirements): string {
  const parts: string[] = [];
  if (s.mfa) parts.push('multi-factor authentication (MFA)');
  if (s.singleDomain.length) parts.push(`a login from ${s.singleDomain.join(' or ')}`);
  if (s.identities.length) parts.push(`a login as identity ${s.identities.join(' or ')}`);
  if (s.policies.length) parts.push(`authentication policy ${s.policies.join(', ')}`);
  return parts.length ? parts.join('; ') : 'a new login session';
}

export function createApiError(init: GlobusApiErrorInit): GlobusApiError {
  // Consent first, as globus-cli does (consent_required gets preference over authorization_parameters).
  if (init.code === 'ConsentRequired') return new ConsentRequiredError(init);
  if (init.session) return new SessionRequiredError({ ...init, session: init.session });
  return new GlobusApiError(init);
}

function kindFor(init: GlobusApiErrorInit): ErrorKind {
  if (init.httpStatus === 401) return 'auth';
  if (init.code === 'ConsentRequired' || init.code.includes('AuthenticationFailed')) return 'auth';
  if (init.service === 'auth' && (init.code === 'invalid_grant' || init.code === 'invalid_client' || init.code === 'unauthorized')) return 'auth';
  return 'failure';
}

function hintFor(init: GlobusApiErrorInit, kind: ErrorKind): string | undefined {
  if (kind !== 'auth') return undefined;
  if (init.service === 'auth' && (init.code === 'invalid_client' || init.code === 'unauthorized')) {
    return 'check the client id and secret (GLOBUS_CLIENT_ID, GLOBUS_CLIENT_SECRET), or run: gsync login';
  }
  return `${LOGIN_HINT} (the saved login was rejected, expired or revoked)`;
}

/**
 * Read either error shape: Transfer's {code, message, request_id} or Auth's
 * OAuth {error, error_description} and JSON:API {errors: [{code, detail, title, id}]}.
 * Anything else, such as an HTML page from a proxy, becomes a code from the status.
 */
export function parseErrorBody(status: number, body: unknown, rawText: string): ErrorBody {
  const fallbackCode = `HTTP${status}`;
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return { code: fallbackCode, message: describeNonJson(status, rawText), requiredScopes: [] };
  }
  const b = body as Record<string, unknown>;
  const first = Array.isArray(b.errors) && b.errors[0] !== null && typeof b.errors[0] === 'object' ? (b.errors[0] as Record<string, unknown>) : undefined;
  const code = str(b.code) ?? str(b.error) ?? str(first?.code) ?? fallbackCode;
  const message =
    str(b.message) ?? str(b.error_description) ?? str(first?.detail) ?? str(first?.title) ?? (STATUS_CODES[status] ?? `HTTP ${status}`);
  const requestId = str(b.request_id) ?? str(first?.id);
  const authParams = b.authorization_parameters as Record<string, unknown> | undefined;
  const requiredScopes = strings(b.required_scopes) ?? strings(authParams?.required_scopes) ?? [];
  return { code, message, requestId, requiredScopes, session: sessionOf(authParams) };
}

function sessionOf(p: Record<string, unknown> | undefined): SessionRequirements | undefined {
  if (p === undefined || p === null || typeof p !== 'object') return undefined;
  const s: SessionRequirements = {
    policies: listOf(p.session_required_policies),
    identities: listOf(p.session_required_identities),
    singleDomain: listOf(p.session_required_single_domain),
    mfa: p.session_required_mfa === true,
    message: str(p.session_message),
  };
  return s.policies.length || s.identities.length || s.singleDomain.length || s.mfa ? s : undefined;
}

/** Globus sends these as lists, and policies sometimes as one comma-separated string. */
const listOf = (v: unknown): string[] =>
  strings(v) ?? (typeof v === 'string' && v.length > 0 ? v.split(',').map((x) => x.trim()).filter(Boolean) : []);

function describeNonJson(status: number, text: string): string {
  const reason = STATUS_CODES[status] ?? 'error';
  const snippet = text.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 120);
  return snippet ? `${reason} (not a Globus response: ${snippet})` : reason;
}

const NETWORK_REASON: Record<string, string> = {
  ECONNREFUSED: 'connection refused (ECONNREFUSED)',
  ECONNRESET: 'connection reset (ECONNRESET)',
  UND_ERR_SOCKET: 'connection closed by the server (UND_ERR_SOCKET)',
  UND_ERR_CONNECT_TIMEOUT: 'timed out connecting (UND_ERR_CONNECT_TIMEOUT)',
  UND_ERR_HEADERS_TIMEOUT: 'timed out waiting for the response (UND_ERR_HEADERS_TIMEOUT)',
  UND_ERR_BODY_TIMEOUT: 'timed out reading the response (UND_ERR_BODY_TIMEOUT)',
  ENOTFOUND: 'host name not found (ENOTFOUND)',
  EAI_AGAIN: 'host name lookup failed (EAI_AGAIN)',
};

function networkCode(err: unknown): string | undefined {
  for (const e of causeChain(err)) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);
const strings = (v: unknown): string[] | undefined => (Array.isArray(v) && v.every((s) => typeof s === 'string') ? (v as string[]) : undefined);
