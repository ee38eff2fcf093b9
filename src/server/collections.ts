import path from 'node:path';
import type { CollectionKind, CollectionSpec } from './options.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const ENTITY_TYPE: Record<CollectionKind, string> = {
  mapped: 'GCSv5_mapped_collection',
  guest: 'GCSv5_guest_collection',
  endpoint: 'GCSv5_endpoint',
  gcp: 'GCP_mapped_collection',
};

/** The GCSv5 endpoint every local GCSv5 collection belongs to (canonical_name "<endpoint>#<collection>", owner_id). */
export const LOCAL_GCS_ENDPOINT_ID = '00000000-0000-4000-8000-00000000e0e0';

/** A collection path that would leave the collection's root. */
export class PathEscapeError extends Error {}

/** One collection: its identity, as GET endpoint/<id> shows it, and the local folder behind it. */
export class Collection {
  readonly id: string;
  readonly root: string;
  readonly kind: CollectionKind;
  readonly displayName: string;
  readonly requireConsent: boolean;
  readonly highAssurance: boolean;
  readonly mine: boolean;

  constructor(spec: CollectionSpec) {
    if (!UUID.test(spec.id)) throw new Error(`collection id "${spec.id}" must be a UUID`);
    if (!path.isAbsolute(spec.root)) throw new Error(`collection ${spec.id}: root "${spec.root}" must be an absolute path`);
    this.id = spec.id.toLowerCase();
    this.root = path.resolve(spec.root);
    this.kind = spec.kind ?? 'mapped';
    this.displayName = spec.displayName ?? `Local ${this.kind} collection ${this.id.slice(0, 8)}`;
    this.requireConsent = spec.requireConsent ?? false;
    this.highAssurance = spec.highAssurance ?? false;
    this.mine = spec.mine ?? false;
  }

  /** Endpoints (as opposed to collections) hold no data; Transfer refuses to use them. */
  /** Only GCSv5 mapped collections (not high-assurance ones) have a data_access scope to consent to. */
  get hasDataAccessScope(): boolean {
    return this.kind === 'mapped' && !this.highAssurance;
  }

  get nonFunctional(): boolean {
    return this.kind === 'endpoint';
  }

  /**
   * "/a/b" (or "/~/a/b": home is the root here) → "<root>/a/b". ".." may move
   * up inside the collection but never above its root.
   */
  resolve(collectionPath: string): string {
    return path.join(this.root, ...normalizeSegments(collectionPath));
  }

  /** The canonical form Transfer echoes back: absolute, no "..", no doubled slashes. */
  static normalize(collectionPath: string): string {
    return '/' + normalizeSegments(collectionPath).join('/');
  }

  endpointDocument(): Record<string, unknown> {
    return this.kind === 'gcp' ? this.gcpDocument() : this.gcsv5Document();
  }

  // Key set of endpoint_get_mapped.json / endpoint_get_guest.json / endpoint_get_gcsv5_endpoint.json.
  private gcsv5Document(): Record<string, unknown> {
    const endpointId = LOCAL_GCS_ENDPOINT_ID;
    return {
      DATA: [{ DATA_TYPE: 'server', hostname: '127.0.0.1' }],
      DATA_TYPE: 'endpoint',
      activated: false,
      canonical_name: `${endpointId}#${this.id}`,
      contact_email: null,
      contact_info: null,
      default_directory: null,
      description: `gsync local server: ${this.kind} collection over ${this.root}`,
      department: null,
      display_name: this.displayName,
      entity_type: ENTITY_TYPE[this.kind],
      force_encryption: false,
      gcs_manager_url: null,
      gcs_version: '5.4.10',
      high_assurance: this.highAssurance,
      host_endpoint_id: this.kind === 'guest' ? endpointId : null,
      id: this.id,
      is_globus_connect: false,
      info_link: null,
      keywords: null,
      local_user_info_available: false,
      non_functional: this.nonFunctional,
      organization: 'gsync local server',
      owner_id: endpointId,
      owner_string: `${endpointId}@clients.auth.globus.org`,
      public: false,
      shareable: false,
      subscription_id: null,
    };
  }

  // Key set of endpoint_get_gcp_mapped.json (GCP documents carry no high_assurance / non_functional).
  private gcpDocument(): Record<string, unknown> {
    return {
      DATA_TYPE: 'endpoint',
      id: this.id,
      entity_type: ENTITY_TYPE.gcp,
      subscription_id: null,
      display_name: this.displayName,
      organization: 'gsync local server',
      username: 'gsync',
      canonical_name: `gsync#${this.id}`,
      contact_email: null,
      contact_info: null,
      department: null,
      info_link: null,
      keywords: null,
      local_user_info_available: false,
      owner_string: 'gsync@localhost',
      description: `gsync local server: GCP collection over ${this.root}`,
      public: false,
      is_globus_connect: true,
      globus_connect_setup_key: null,
      gcp_connected: true,
      gcp_paused: false,
      s3_url: null,
      s3_owner_activated: false,
      host_endpoint_id: null,
      host_path: null,
      disable_verify: false,
      force_encryption: false,
      myproxy_server: null,
      myproxy_dn: null,
      oauth_server: null,
      default_directory: null,
      activated: false,
      expires_in: 0,
      expire_time: null,
      shareable: true,
      acl_available: false,
      acl_editable: false,
      in_use: false,
      DATA: [
        {
          DATA_TYPE: 'server',
          hostname: null,
          id: 1,
          incoming_data_port_end: null,
          incoming_data_port_start: null,
          is_connected: true,
          is_paused: false,
          outgoing_data_port_end: null,
          outgoing_data_port_start: null,
          port: null,
          scheme: null,
          subject: null,
          uri: null,
        },
      ],
    };
  }
}

function normalizeSegments(collectionPath: string): string[] {
  const out: string[] = [];
  const parts = collectionPath.split('/');
  // "~" is the user's home on a real collection; the local root plays that part.
  if (parts[0] === '~' || (parts[0] === '' && parts[1] === '~')) parts.splice(0, parts[0] === '~' ? 1 : 2);
  for (const seg of parts) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (out.length === 0) throw new PathEscapeError(`path "${collectionPath}" leaves the collection's root`);
      out.pop();
      continue;
    }
    if (seg.includes('\0')) throw new PathEscapeError(`path "${collectionPath}" contains a NUL character`);
    out.push(seg);
  }
  return out;
}

export class CollectionRegistry {
  private readonly byId = new Map<string, Collection>();

  add(spec: CollectionSpec): Collection {
    const c = new Collection(spec);
    this.byId.set(c.id, c);
    return c;
  }

  get(id: string): Collection | undefined {
    return this.byId.get(id.toLowerCase());
  }

  all(): Collection[] {
    return [...this.byId.values()];
  }
}
