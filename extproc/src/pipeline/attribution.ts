// Who a request's spend is attributed to beyond its key: the agent and free-form tags, from the key and from the
// x-acc-agent / x-acc-tags headers. Both headers are the gateway's own and never reach the provider.
import type { Headers } from '../grpc/envoy-messages.js';
import type { GatewayIdentity } from './auth.js';
import type { GatewayErrorCode } from './gateway-errors.js';

export const AGENT_HEADER = 'x-acc-agent';
export const TAGS_HEADER = 'x-acc-tags';
const MAX_TAGS = 10;
const ATTRIBUTE_PATTERN = /^[A-Za-z0-9._:=-]{1,64}$/;

export type Attribution =
  | { readonly agent: string | null; readonly tags: string[] }
  | { readonly error: { readonly code: GatewayErrorCode; readonly message: string } };

/**
 * Agent and tags for the spend record and budgets. The agent comes from the key; a client may name its own only
 * when its key allows it, so one key cannot spend from another agent's budget by claiming its name.
 */
export function attributionFrom(headers: Headers, identity: GatewayIdentity): Attribution {
  let agent = identity.agent;
  const claimed = headers.get(AGENT_HEADER)?.trim();
  if (claimed) {
    if (!identity.allowAgentHeader) {
      const owner = identity.agent ? `the agent '${identity.agent}'` : 'the key itself';
      return {
        error: {
          code: 'agent_header_not_allowed',
          message: `This gateway key may not set ${AGENT_HEADER}; its requests are attributed to ${owner}.`,
        },
      };
    }
    if (!ATTRIBUTE_PATTERN.test(claimed)) {
      return {
        error: {
          code: 'invalid_attribution',
          message: `${AGENT_HEADER} must be 1-64 characters of letters, digits and . _ : = -`,
        },
      };
    }
    agent = claimed;
  }
  const rawTags = headers.get(TAGS_HEADER);
  if (!rawTags) return { agent, tags: [] };
  const tags = [
    ...new Set(
      rawTags
        .split(',')
        .map((tag) => tag.trim())
        .filter(Boolean),
    ),
  ];
  if (tags.length > MAX_TAGS || tags.some((tag) => !ATTRIBUTE_PATTERN.test(tag))) {
    return {
      error: {
        code: 'invalid_attribution',
        message: `${TAGS_HEADER} takes at most ${MAX_TAGS} comma-separated tags of 1-64 letters, digits and . _ : = -`,
      },
    };
  }
  return { agent, tags };
}
