// The errors the gateway answers itself, one catalogue for both API families: each code maps to the status and
// the error type the client's own SDK expects (OpenAI `error.type` / Anthropic `error.type`).
import type { ProviderAdapter } from '../providers/types.js';

interface GatewayErrorSpec {
  status: number;
  openai: string;
  anthropic: string;
}

export const GATEWAY_ERRORS = {
  missing_api_key: { status: 401, openai: 'invalid_request_error', anthropic: 'authentication_error' },
  invalid_api_key: { status: 401, openai: 'invalid_request_error', anthropic: 'authentication_error' },
  expired_api_key: { status: 401, openai: 'invalid_request_error', anthropic: 'authentication_error' },
  model_not_allowed: { status: 403, openai: 'invalid_request_error', anthropic: 'permission_error' },
  provider_not_configured: { status: 503, openai: 'server_error', anthropic: 'api_error' },
  method_not_allowed: { status: 405, openai: 'invalid_request_error', anthropic: 'invalid_request_error' },
  unsupported_media_type: {
    status: 415,
    openai: 'invalid_request_error',
    anthropic: 'invalid_request_error',
  },
  request_too_large: { status: 413, openai: 'invalid_request_error', anthropic: 'request_too_large' },
  empty_body: { status: 400, openai: 'invalid_request_error', anthropic: 'invalid_request_error' },
  invalid_utf8: { status: 400, openai: 'invalid_request_error', anthropic: 'invalid_request_error' },
  malformed_json: { status: 400, openai: 'invalid_request_error', anthropic: 'invalid_request_error' },
  unpriced_model: { status: 400, openai: 'invalid_request_error', anthropic: 'invalid_request_error' },
  agent_header_not_allowed: { status: 403, openai: 'invalid_request_error', anthropic: 'permission_error' },
  invalid_attribution: { status: 400, openai: 'invalid_request_error', anthropic: 'invalid_request_error' },
  security_blocked: { status: 403, openai: 'invalid_request_error', anthropic: 'permission_error' },
  security_response_blocked: { status: 403, openai: 'invalid_request_error', anthropic: 'permission_error' },
  security_scan_failed: { status: 503, openai: 'server_error', anthropic: 'api_error' },
  routing_denied: { status: 403, openai: 'invalid_request_error', anthropic: 'permission_error' },
  routing_provider_mismatch: {
    status: 400,
    openai: 'invalid_request_error',
    anthropic: 'invalid_request_error',
  },
  budget_exceeded: { status: 429, openai: 'insufficient_quota', anthropic: 'rate_limit_error' },
  rate_limited: { status: 429, openai: 'rate_limit_error', anthropic: 'rate_limit_error' },
  budget_unavailable: { status: 503, openai: 'server_error', anthropic: 'api_error' },
  budget_unpriced_model: { status: 403, openai: 'invalid_request_error', anthropic: 'permission_error' },
  duplicate_request_id: { status: 409, openai: 'invalid_request_error', anthropic: 'invalid_request_error' },
} satisfies Record<string, GatewayErrorSpec>;

export type GatewayErrorCode = keyof typeof GATEWAY_ERRORS;

export interface RenderedError {
  status: number;
  code: string;
  body: string;
}

export function renderGatewayError(
  adapter: ProviderAdapter,
  code: GatewayErrorCode,
  message: string,
  param: string | null = null,
): RenderedError {
  const spec = GATEWAY_ERRORS[code];
  const type = adapter.provider === 'openai' ? spec.openai : spec.anthropic;
  return {
    status: spec.status,
    code,
    body: adapter.errorBody({ status: spec.status, type, message, param, code }),
  };
}
