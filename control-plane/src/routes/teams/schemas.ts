import { Type } from 'typebox';
import { PageQuery, pageOf, Timestamp, Uuid } from '../common.js';

export const TeamName = Type.String({ minLength: 1, maxLength: 200, pattern: '\\S' });

export const Team = Type.Object(
  { id: Uuid, orgId: Uuid, name: TeamName, createdAt: Timestamp },
  { $id: 'Team' },
);

export const TeamList = pageOf(Team);

export const TeamListQuery = Type.Object({
  ...PageQuery.properties,
  name: Type.Optional(
    Type.String({ minLength: 1, maxLength: 200, description: 'Case-insensitive substring' }),
  ),
});

export const CreateTeamBody = Type.Object({ name: TeamName }, { additionalProperties: false });
export const UpdateTeamBody = Type.Object({ name: Type.Optional(TeamName) }, { additionalProperties: false });
