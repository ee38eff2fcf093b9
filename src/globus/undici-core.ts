import type { Agent, Dispatcher } from 'undici';

/** What a GlobusHttp needs of undici: an Agent, and the request API called on it. */
export interface UndiciCore {
  Agent: typeof Agent;
  request(agent: Agent, opts: Dispatcher.RequestOptions): Promise<Dispatcher.ResponseData>;
}

/**
 * undici's Agent and its request API only. undici's index loads everything it
 * has (fetch, WebSocket, EventSource, caches, mocks, proxies) into every
 * process that imports it: about 20 MB of RSS and 130-180 ms on this machine,
 * against about 10 MB and 55-70 ms for these two files and what they require
 * (25 modules). That is the difference between a 1,000,000-file run that
 * submits staying under its 150 MB target or not (issue 34). undici has no
 * `exports` map, so the files are reachable; should a release move them, the
 * whole package is loaded instead, so a layout change costs memory, never a
 * failed request.
 */
/** Typed as strings, not literals: undici ships types for its index only. */
const AGENT_FILE: string = 'undici/lib/dispatcher/agent.js';
const REQUEST_FILE: string = 'undici/lib/api/api-request.js';

export async function loadUndiciCore(): Promise<UndiciCore> {
  try {
    const [agentModule, requestModule] = await Promise.all([import(AGENT_FILE), import(REQUEST_FILE)]);
    const AgentClass = (agentModule as { default: unknown }).default as typeof Agent;
    const apiRequest = (requestModule as { default: unknown }).default as (this: Agent, opts: Dispatcher.RequestOptions) => Promise<Dispatcher.ResponseData>;
    if (typeof AgentClass !== 'function' || typeof apiRequest !== 'function') throw new Error('undici layout changed');
    return { Agent: AgentClass, request: (agent, opts) => apiRequest.call(agent, opts) };
  } catch {
    const whole = await import('undici');
    return { Agent: whole.Agent, request: (agent, opts) => agent.request(opts) };
  }
}

