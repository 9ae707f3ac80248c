import { Type } from 'typebox';
import { Timestamp, Uuid } from '../common.js';

export const OrgSlug = Type.String({
  pattern: '^[a-z0-9][a-z0-9-]{0,62}$',
  description: 'URL-safe identifier',
});
export const OrgName = Type.String({ minLength: 1, maxLength: 200, pattern: '\\S' });

export const Org = Type.Object(
  { id: Uuid, slug: OrgSlug, name: OrgName, createdAt: Timestamp },
  { $id: 'Org' },
);

export const UpdateOrgBody = Type.Object(
  { name: Type.Optional(OrgName), slug: Type.Optional(OrgSlug) },
  { additionalProperties: false },
);
