export { openState, openExistingState, ROOT_NODE_ID, type State, type OpenStateOptions } from './open.js';
export { SCHEMA_VERSION } from './migrations.js';
export { fingerprintOf, type Fingerprint, type NodeKind } from './fingerprint.js';
export { TrieStore, type NodeRow } from './trie.js';
export * from './submissions.js';
export * from './runs.js';
export { findNode, setLastTransfer } from './last-transfer.js';
export { stateSummary, type StateSummary } from './summary.js';
export * from './hooks.js';
