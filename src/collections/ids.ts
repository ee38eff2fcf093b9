/** Globus ids are UUID-shaped but not always RFC 4122 versioned (test ids are not), so any hex UUID (as config/schema.ts). */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const isUuid = (s: string): boolean => UUID.test(s);
