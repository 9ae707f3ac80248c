import { Type } from 'typebox';
import { PageQuery, pageOf, Timestamp, Uuid } from '../common.js';
import { Provider } from '../provider-credentials/schemas.js';

// JSON can spell Infinity (1e999): the maximum keeps prices finite as well as sane.
const Price = Type.Number({ minimum: 0, maximum: 1_000_000, description: 'USD per million tokens' });
const NullablePrice = Type.Union([Price, Type.Null()]);
const Model = Type.String({
  minLength: 1,
  maxLength: 200,
  pattern: '^\\S+$',
  description: 'Exact model name',
});

export const PriceOverride = Type.Object(
  {
    id: Uuid,
    orgId: Uuid,
    provider: Provider,
    model: Model,
    inputMtok: Price,
    outputMtok: Price,
    cacheReadMtok: NullablePrice,
    cacheWriteMtok: NullablePrice,
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { $id: 'PriceOverride' },
);

export const PriceOverrideList = pageOf(PriceOverride);

export const PriceOverrideListQuery = Type.Object({
  ...PageQuery.properties,
  provider: Type.Optional(Provider),
  model: Type.Optional(Model),
});

export const CreatePriceOverrideBody = Type.Object(
  {
    provider: Provider,
    model: Model,
    inputMtok: Price,
    outputMtok: Price,
    cacheReadMtok: Type.Optional(NullablePrice),
    cacheWriteMtok: Type.Optional(NullablePrice),
  },
  { additionalProperties: false },
);

export const UpdatePriceOverrideBody = Type.Object(
  {
    inputMtok: Type.Optional(Price),
    outputMtok: Type.Optional(Price),
    cacheReadMtok: Type.Optional(NullablePrice),
    cacheWriteMtok: Type.Optional(NullablePrice),
  },
  { additionalProperties: false, minProperties: 1 },
);
