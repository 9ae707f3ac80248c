import { Type } from 'typebox';
import { Timestamp, Uuid } from '../common.js';

export const PROVIDERS = ['openai', 'anthropic'] as const;
export const Provider = Type.Union([Type.Literal('openai'), Type.Literal('anthropic')], {
  description: 'LLM provider',
});

export const ProviderParams = Type.Object({ provider: Provider });

// No secret, no hint of it, no master key id: what is stored is nobody's business but extproc's.
export const ProviderCredential = Type.Object(
  { id: Uuid, provider: Provider, name: Type.String(), createdAt: Timestamp, updatedAt: Timestamp },
  { $id: 'ProviderCredential' },
);

export const ProviderCredentialList = Type.Object({ items: Type.Array(ProviderCredential) });

export const PutProviderCredentialBody = Type.Object(
  {
    apiKey: Type.String({ minLength: 8, maxLength: 4096, pattern: '^\\S+$', description: 'Write-only' }),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200, pattern: '\\S' })),
  },
  { additionalProperties: false },
);
