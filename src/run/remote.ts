import type { DeleteDocument, DeleteResult, FileEntry, FileList, SkippedError, SuccessfulTransfer, Task, TransferDocument, TransferResult } from '../globus/schemas.js';

/**
 * The Transfer operations a sync cycle needs, declared here by their user (as
 * restic's archiver declares `archiverRepo`), so sync/ depends on this and not
 * on a concrete client. TransferClient satisfies it against Globus or the local
 * server; test/support/memory-remote.ts satisfies it in memory. Both pass the
 * same contract suite (test/remote-contract.test.ts). Later operations (delete
 * submission, listing the destination) are added here, with a contract test.
 */
export interface SyncRemote {
  /** A fresh id to record before submitting: resubmitting it after a crash is answered "Duplicate". */
  getSubmissionId(): Promise<string>;
  submitTransfer(doc: TransferDocument): Promise<TransferResult>;
  /** POST /delete (deletes.enabled): the same submission_id rule as transfers. */
  submitDelete(doc: DeleteDocument): Promise<DeleteResult>;
  /** Throws a GlobusApiError with isNotFound when the service does not know the task. */
  getTask(taskId: string): Promise<Task>;
  /** Paths the task skipped (skip_source_errors), every page. */
  skippedErrors(taskId: string): AsyncIterable<SkippedError>;
  /** Files the task copied, every page (empty once its history is deleted): what a manifest lists for directory items (issue 26). */
  successfulTransfers(taskId: string): AsyncIterable<SuccessfulTransfer>;
  /** operation/stat of one path; a missing path is a GlobusApiError with isNotFound. The mapping probe's look (issue 26). */
  stat(collection: string, path: string): Promise<FileEntry>;
  /** operation/ls of one directory (one page): source.listing "globus" lists the source with it (issue 29). TransferClient has it. */
  ls?(collection: string, path: string, opts?: { limit?: number; offset?: number; orderby?: string; showHidden?: boolean }): Promise<FileList>;
}

/** What a cycle needs from the job's login (Credentials satisfies it). */
export interface SyncAuth {
  /** 'client' for a service account (client credentials), which cannot log in to meet a session policy. */
  readonly kind?: 'user' | 'client';
  /** Local check: throws the 'auth' error a login is sure to meet, before anything is scanned. */
  requireUsable(): void;
  /** Resolves when a call that met ConsentRequired may be retried once; throws otherwise. */
  handleConsentRequired(err: unknown): Promise<void>;
  /** When the login stops working unless a person renews it; undefined when it renews itself (refresh token, client secret). For the metrics file. */
  loginExpiresAt?(): Date | undefined;
}

/** The remote and login for one cycle; opened by runJob once it holds the lock, closed when the cycle ends. */
export interface RemoteSession {
  remote: SyncRemote;
  auth: SyncAuth;
  close(): Promise<void>;
}

/** Built where commands are wired (src/commands/globus-session.ts); sync/ never builds a client itself. */
export type OpenRemote = () => RemoteSession;
