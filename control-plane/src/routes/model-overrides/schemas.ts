import { Type } from 'typebox';
import { PageQuery, pageOf, Timestamp, Uuid } from '../common.js';
import { Provider } from '../provider-credentials/schemas.js';

const Model = Type.String({
  minLength: 1,
  maxLength: 200,
  pattern: '^\\S+$',
  description: 'Exact model name',
});
const Tokens = (description: string) =>
  Type.Union([Type.Integer({ minimum: 1, maximum: 100_000_000 }), Type.Null()], { description });
const Capability = (description: string) =>
  Type.Union([Type.Boolean(), Type.Null()], { description: `${description}; null = the built-in value` });

const OverrideFields = {
  contextWindow: Tokens('Input + output tokens; null = the built-in value'),
  maxOutputTokens: Tokens('null = the built-in value'),
  supportsTools: Capability('Function/tool calling'),
  supportsVision: Capability('Image input'),
  supportsJsonMode: Capability('JSON mode / structured outputs'),
  supportsReasoning: Capability('Reasoning / extended thinking'),
  enabled: Type.Boolean({ description: 'false = cheapest_capable never chooses this model' }),
};

export const ModelOverride = Type.Object(
  {
    id: Uuid,
    orgId: Uuid,
    provider: Provider,
    model: Model,
    ...OverrideFields,
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { $id: 'ModelOverride' },
);

export const ModelOverrideList = pageOf(ModelOverride);

export const ModelOverrideListQuery = Type.Object({
  ...PageQuery.properties,
  provider: Type.Optional(Provider),
  model: Type.Optional(Model),
});

export const CreateModelOverrideBody = Type.Object(
  {
    provider: Provider,
    model: Model,
    contextWindow: Type.Optional(OverrideFields.contextWindow),
    maxOutputTokens: Type.Optional(OverrideFields.maxOutputTokens),
    supportsTools: Type.Optional(OverrideFields.supportsTools),
    supportsVision: Type.Optional(OverrideFields.supportsVision),
    supportsJsonMode: Type.Optional(OverrideFields.supportsJsonMode),
    supportsReasoning: Type.Optional(OverrideFields.supportsReasoning),
    enabled: Type.Optional(OverrideFields.enabled),
  },
  { additionalProperties: false },
);

export const UpdateModelOverrideBody = Type.Object(
  {
    contextWindow: Type.Optional(OverrideFields.contextWindow),
    maxOutputTokens: Type.Optional(OverrideFields.maxOutputTokens),
    supportsTools: Type.Optional(OverrideFields.supportsTools),
    supportsVision: Type.Optional(OverrideFields.supportsVision),
    supportsJsonMode: Type.Optional(OverrideFields.supportsJsonMode),
    supportsReasoning: Type.Optional(OverrideFields.supportsReasoning),
    enabled: Type.Optional(OverrideFields.enabled),
  },
  { additionalProperties: false, minProperties: 1 },
);
