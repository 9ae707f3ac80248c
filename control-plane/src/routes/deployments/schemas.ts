import { Type } from 'typebox';
import { PageQuery, pageOf, Timestamp, Uuid } from '../common.js';
import { Provider } from '../provider-credentials/schemas.js';
import { DeploymentName } from '../rules/schemas.js';

const Model = Type.String({
  minLength: 1,
  maxLength: 200,
  pattern: '^\\S+$',
  description: 'Model name sent upstream',
});
const Cluster = Type.Union([Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$' }), Type.Null()], {
  description: "Envoy cluster to send to; null = the provider's default",
});
const Weight = Type.Integer({
  minimum: 0,
  maximum: 1000,
  description: 'Relative share when the gateway balances between deployments',
});
const CredentialRef = Type.Union(
  [Type.String({ minLength: 1, maxLength: 200, pattern: '^\\S+$' }), Type.Null()],
  {
    description: "Credential to use; null = the org's credential for the provider",
  },
);

export const Deployment = Type.Object(
  {
    id: Uuid,
    orgId: Uuid,
    name: DeploymentName,
    provider: Provider,
    model: Model,
    baseUrlCluster: Cluster,
    weight: Weight,
    credentialRef: CredentialRef,
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { $id: 'RoutingDeployment' },
);

export const DeploymentList = pageOf(Deployment);

export const DeploymentListQuery = Type.Object({
  ...PageQuery.properties,
  provider: Type.Optional(Provider),
});

export const CreateDeploymentBody = Type.Object(
  {
    name: DeploymentName,
    provider: Provider,
    model: Model,
    baseUrlCluster: Type.Optional(Cluster),
    weight: Type.Optional(Weight),
    credentialRef: Type.Optional(CredentialRef),
  },
  { additionalProperties: false },
);

export const UpdateDeploymentBody = Type.Object(
  {
    name: Type.Optional(DeploymentName),
    provider: Type.Optional(Provider),
    model: Type.Optional(Model),
    baseUrlCluster: Type.Optional(Cluster),
    weight: Type.Optional(Weight),
    credentialRef: Type.Optional(CredentialRef),
  },
  { additionalProperties: false, minProperties: 1 },
);
