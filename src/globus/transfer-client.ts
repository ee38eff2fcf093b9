import type * as z from 'zod';
import { serviceHttp, type GlobusHttp, type RequestSpec, type ServiceClientOptions } from './http.js';
import {
  deleteResultSchema,
  endpointListSchema,
  endpointSchema,
  fileListSchema,
  fileEntrySchema,
  mkdirResultSchema,
  resultSchema,
  skippedErrorsPageSchema,
  submissionIdSchema,
  successfulTransfersPageSchema,
  taskEventListSchema,
  taskSchema,
  transferResultSchema,
  type CancelResult,
  type DeleteDocument,
  type DeleteResult,
  type Endpoint,
  type EndpointList,
  type FileEntry,
  type FileList,
  type MkdirResult,
  type SkippedError,
  type SuccessfulTransfer,
  type Task,
  type TransferDocument,
  type TransferResult,
} from './schemas.js';
import type { TokenSource } from './token-source.js';

export const TRANSFER_URL_ENV = 'GLOBUS_SDK_SERVICE_URL_TRANSFER';
export const DEFAULT_TRANSFER_URL = 'https://transfer.api.globus.org/';
const API = 'v0.10/';

export interface TransferClientOptions extends ServiceClientOptions {
  tokens: TokenSource;
}

/** GET endpoint_search's filters, named as in the SDK's TransferClient.endpoint_search. */
export interface EndpointSearchQuery {
  filterFulltext?: string;
  /** my-endpoints, shared-with-me, recently-used, all (needs filterFulltext), ... */
  filterScope?: string;
  filterEntityType?: string;
  limit?: number;
  offset?: number;
}

export interface LsOptions {
  showHidden?: boolean;
  limit?: number;
  offset?: number;
  /** Transfer filter syntax, e.g. "name:~*.txt" or "type:dir". */
  filter?: string;
  orderby?: string;
}

/** The Transfer API calls gsync makes, under v0.10/. */
export class TransferClient {
  private readonly http: GlobusHttp;
  private readonly tokens: TokenSource;

  constructor(opts: TransferClientOptions) {
    this.tokens = opts.tokens;
    this.http = serviceHttp('transfer', TRANSFER_URL_ENV, DEFAULT_TRANSFER_URL, opts);
  }

  get baseUrl(): string {
    return this.http.baseUrl;
  }

  /** A fresh id to record before submitting, so a resubmission after a crash is recognised as a duplicate. */
  async getSubmissionId(): Promise<string> {
    return (await this.call({ method: 'GET', path: 'submission_id' }, submissionIdSchema)).value;
  }

  /**
   * Submit one transfer. Retrying this POST (on 5xx, 429 or a lost connection) is
   * safe because of `submission_id`: Transfer runs a given id at most once and
   * answers a repeat with code "Duplicate" and the original task_id.
   */
  async submitTransfer(doc: TransferDocument): Promise<TransferResult> {
    return this.call({ method: 'POST', path: 'transfer', json: doc }, transferResultSchema);
  }

  /** Submit one delete task (POST /delete); the same submission_id rule makes a retry safe. */
  async submitDelete(doc: DeleteDocument): Promise<DeleteResult> {
    return this.call({ method: 'POST', path: 'delete', json: doc }, deleteResultSchema);
  }

  async getTask(taskId: string): Promise<Task> {
    return this.call({ method: 'GET', path: `task/${seg(taskId)}` }, taskSchema);
  }

  async cancelTask(taskId: string): Promise<CancelResult> {
    return this.call({ method: 'POST', path: `task/${seg(taskId)}/cancel` }, resultSchema);
  }

  /** The newest error events of a task (event_list filter is_error:1), for vanished-sources.ts. */
  async errorEvents(taskId: string, limit: number): Promise<Array<{ code: string; details?: string | null }>> {
    return (await this.call({ method: 'GET', path: `task/${seg(taskId)}/event_list`, query: { filter: 'is_error:1', limit } }, taskEventListSchema)).DATA;
  }

  /** Every file the task delivered, following marker paging. */
  successfulTransfers(taskId: string): AsyncGenerator<SuccessfulTransfer> {
    return this.paged(`task/${seg(taskId)}/successful_transfers`, successfulTransfersPageSchema);
  }

  /** Every path the task skipped (with skip_source_errors), following marker paging. */
  skippedErrors(taskId: string): AsyncGenerator<SkippedError> {
    return this.paged(`task/${seg(taskId)}/skipped_errors`, skippedErrorsPageSchema);
  }

  async getEndpoint(endpointId: string): Promise<Endpoint> {
    return this.call({ method: 'GET', path: `endpoint/${seg(endpointId)}` }, endpointSchema);
  }

  /** One page of endpoint_search (Transfer answers at most 100 a page and 1000 in all). */
  async endpointSearch(q: EndpointSearchQuery): Promise<EndpointList> {
    return this.call(
      {
        method: 'GET',
        path: 'endpoint_search',
        query: { filter_fulltext: q.filterFulltext, filter_scope: q.filterScope, filter_entity_type: q.filterEntityType, limit: q.limit, offset: q.offset },
      },
      endpointListSchema,
    );
  }

  async ls(endpointId: string, path: string, opts: LsOptions = {}): Promise<FileList> {
    return this.call(
      {
        method: 'GET',
        path: `operation/endpoint/${seg(endpointId)}/ls`,
        query: {
          path,
          show_hidden: opts.showHidden === undefined ? undefined : opts.showHidden ? 1 : 0,
          limit: opts.limit,
          offset: opts.offset,
          filter: opts.filter,
          orderby: opts.orderby,
        },
      },
      fileListSchema,
    );
  }

  /** Stat one path; a missing path is a GlobusApiError whose `isNotFound` is true. */
  async stat(endpointId: string, path: string): Promise<FileEntry> {
    return this.call({ method: 'GET', path: `operation/endpoint/${seg(endpointId)}/stat`, query: { path } }, fileEntrySchema);
  }

  /** Create one directory; an existing one is a GlobusApiError whose `isAlreadyExists` is true. */
  async mkdir(endpointId: string, path: string): Promise<MkdirResult> {
    return this.call({ method: 'POST', path: `operation/endpoint/${seg(endpointId)}/mkdir`, json: { DATA_TYPE: 'mkdir', path } }, mkdirResultSchema);
  }

  async close(): Promise<void> {
    await this.http.close();
  }

  private async *paged<T>(path: string, schema: z.ZodType<{ DATA: T[]; next_marker?: number | string | null }>): AsyncGenerator<T> {
    let marker: number | string | undefined;
    const seen = new Set<string>();
    for (;;) {
      const page = await this.call({ method: 'GET', path, query: { marker } }, schema);
      yield* page.DATA;
      const next = page.next_marker;
      // The SDK stops on a falsy next_marker; a marker seen before would loop forever.
      if (next === undefined || next === null || next === '' || next === 0 || seen.has(String(next))) return;
      seen.add(String(next));
      marker = next;
    }
  }

  private call<S extends z.ZodType>(spec: Omit<RequestSpec, 'authorization' | 'onUnauthorized'>, schema: S): Promise<z.output<S>> {
    return this.http.send(
      {
        ...spec,
        path: API + spec.path,
        authorization: async () => `Bearer ${await this.tokens.transferToken()}`,
        onUnauthorized: () => this.tokens.refreshAfterUnauthorized(),
      },
      schema,
    );
  }
}

/** Ids go into the path; encoding keeps a malformed one from escaping it. */
const seg = (id: string) => encodeURIComponent(id);
