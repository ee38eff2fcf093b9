import * as z from 'zod';

/**
 * Globus Auth's token responses, written from the recorded bodies in
 * test/fixtures/globus/ (the Transfer documents are in schemas.ts). Loose
 * objects: Auth adds keys over time; only the fields gsync reads are required.
 */
const tokenFields = {
  access_token: z.string().min(1),
  scope: z.string(),
  expires_in: z.number(),
  token_type: z.string(),
  resource_server: z.string().min(1),
  /** Present for offline-access grants; null or absent otherwise. */
  refresh_token: z.string().nullable().optional(),
  state: z.string().optional(),
};

export const otherTokenSchema = z.looseObject(tokenFields);

export const tokenResponseSchema = z.looseObject({
  ...tokenFields,
  other_tokens: z.array(otherTokenSchema).default([]),
  id_token: z.string().optional(),
});
export type TokenResponse = z.infer<typeof tokenResponseSchema>;

export const revokeResultSchema = z.looseObject({ active: z.boolean() });
