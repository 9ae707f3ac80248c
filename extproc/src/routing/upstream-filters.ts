// The upstream HTTP filters of the deployment and chain clusters (envoy-deployments.ts), run by Envoy for every
// attempt: a 429 shown to the router as a 503 (so it counts towards the cooldown), the credential of the deployment
// Envoy picked, and for a chain whose deployments serve different models, that deployment's model in the body.

/** Endpoint metadata namespace the upstream filter and the route's response headers read. */
export const METADATA_NAMESPACE = 'acc';
/** Carries a 429 that was shown to Envoy as 503; envoy/src/bootstrap.ts restores it before the client sees it. */
export const RATE_LIMITED_STATUS_HEADER = 'x-acc-upstream-status';
/** Inside a mixed-model chain's upstream filters only: the attempt's deployment model, removed before sending. */
export const ATTEMPT_MODEL_HEADER = 'x-acc-attempt-model';
/**
 * Model names a mixed chain can rewrite per attempt: visible ASCII without `"` or `\`, so the name is the same
 * text in a header, in endpoint metadata and inside a JSON string, with nothing to escape.
 */
const REWRITABLE_MODEL = /^[\x21\x23-\x5b\x5d-\x7e]{1,256}$/;

/** Whether every attempt of a chain over these models can be sent its own deployment's model. */
export function canRewriteModels(models: Iterable<string>): boolean {
  for (const model of models) if (!REWRITABLE_MODEL.test(model)) return false;
  return true;
}

// Envoy's outlier detection counts 5xx only, and the monitor that can count 429 is not compiled into the pinned 1.40
// build. A deployment that keeps answering 429 must cool down like one answering 503, so its 429 reaches the router
// as a 503 (counted, and retried on the next deployment), with the real status in a header that a downstream filter
// puts back (bootstrap.ts) before extproc or the client see the response. A provider's own header of that name goes.
const RATE_LIMIT_AS_FAILURE = `function envoy_on_response(handle)
  local headers = handle:headers()
  headers:remove("${RATE_LIMITED_STATUS_HEADER}")
  if headers:get(":status") == "429" then
    headers:replace(":status", "503")
    headers:replace("${RATE_LIMITED_STATUS_HEADER}", "429")
  end
end
`;

// A mixed-model chain sends each attempt its deployment's model. extproc serialises such a body with `model` as its
// first member and no whitespace (JSON.stringify), so the value to replace is the first `"model":"…"` at offset 0,
// and model names carry nothing JSON would escape (REWRITABLE_MODEL): no JSON parser is needed. setBytes also sets
// content-length. The header map may be shared by the attempts, so content-length is set on every attempt, also
// when this one's model is already in the body. A body of another shape is sent unchanged and logged (it cannot
// come from extproc). Only these chains pay for the buffering.
const MODEL_PER_ATTEMPT = `local PREFIX = '{"model":"'
function envoy_on_request(handle)
  local headers = handle:headers()
  local model = headers:get("${ATTEMPT_MODEL_HEADER}")
  headers:remove("${ATTEMPT_MODEL_HEADER}")
  if model == nil or model == "" then return end
  local body = handle:body()
  if body == nil then return end
  local length = body:length()
  local head = body:getBytes(0, math.min(length, #PREFIX + 300))
  local close = string.find(head, '"', #PREFIX + 1, true)
  local current = close and string.sub(head, #PREFIX + 1, close - 1)
  if string.sub(head, 1, #PREFIX) ~= PREFIX or current == nil or string.find(current, "\\\\", 1, true) then
    handle:logErr("acc: body does not start with a plain model member; sent unchanged")
    return
  end
  if current == model then
    headers:replace("content-length", tostring(length))
    return
  end
  local bytes = body:getBytes(0, length)
  body:setBytes(PREFIX .. model .. string.sub(bytes, close))
end
`;

const RATE_LIMIT_FILTER = {
  name: 'envoy.filters.http.lua',
  typed_config: {
    '@type': 'type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua',
    default_source_code: { inline_string: RATE_LIMIT_AS_FAILURE },
  },
};

const MODEL_PER_ATTEMPT_FILTER = {
  name: 'acc.model_per_attempt',
  typed_config: {
    '@type': 'type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua',
    default_source_code: { inline_string: MODEL_PER_ATTEMPT },
  },
};

const CODEC_FILTER = {
  name: 'envoy.filters.http.upstream_codec',
  typed_config: {
    '@type': 'type.googleapis.com/envoy.extensions.filters.http.upstream_codec.v3.UpstreamCodec',
  },
};

/**
 * Request headers set for each attempt from the chosen endpoint's metadata (header name → metadata key); a client's
 * copies are removed first.
 */
function perAttemptHeaders(fromMetadata: Readonly<Record<string, string>>) {
  const headers = Object.entries(fromMetadata);
  return {
    name: 'envoy.filters.http.header_mutation',
    typed_config: {
      '@type': 'type.googleapis.com/envoy.extensions.filters.http.header_mutation.v3.HeaderMutation',
      mutations: {
        request_mutations: [
          ...headers.map(([key]) => ({ remove: key })),
          ...headers.map(([key, metadataKey]) => ({
            append: {
              header: { key, value: `%UPSTREAM_METADATA(${METADATA_NAMESPACE}:${metadataKey})%` },
              append_action: 'ADD_IF_ABSENT',
            },
          })),
        ],
      },
    },
  };
}

/** The credential headers' metadata keys are their names (envoy-deployments.ts credentialMetadata). */
const CREDENTIAL_HEADERS = { authorization: 'authorization', 'x-api-key': 'x-api-key' };
/** The deployment's model, for mixed-model chains. */
export const MODEL_METADATA_KEY = 'model';

// The request carries the credential extproc put on it for the request's provider; every attempt replaces it with
// the credential of the deployment Envoy picked. A metadata key the endpoint lacks renders empty and adds nothing.
export const UPSTREAM_FILTERS = [RATE_LIMIT_FILTER, perAttemptHeaders(CREDENTIAL_HEADERS), CODEC_FILTER];

/** A chain whose deployments serve different models: the credential and the model change with each attempt. */
export const MIXED_MODEL_UPSTREAM_FILTERS = [
  RATE_LIMIT_FILTER,
  perAttemptHeaders({ ...CREDENTIAL_HEADERS, [ATTEMPT_MODEL_HEADER]: MODEL_METADATA_KEY }),
  MODEL_PER_ATTEMPT_FILTER,
  CODEC_FILTER,
];
