// The one error catalogue of the API. Every failure leaves as `{ error: { code, message, details } }`: clients branch
// on `code`, humans read `message`, and nothing internal (stack traces, SQL) ever reaches the response.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';

export const ERROR_CATALOGUE = {
  bad_request: { status: 400, message: 'The request could not be understood' },
  validation_failed: { status: 400, message: 'The request is invalid' },
  invalid_condition: { status: 400, message: 'The routing condition is not valid CEL' },
  unauthenticated: { status: 401, message: 'Authentication is required' },
  invalid_credentials: { status: 401, message: 'Email or password is incorrect' },
  forbidden: { status: 403, message: 'Your role does not allow this action' },
  csrf_failed: { status: 403, message: 'Missing or invalid x-csrf-token header' },
  not_found: { status: 404, message: 'Not found' },
  method_not_allowed: { status: 405, message: 'Method not allowed' },
  conflict: { status: 409, message: 'The request conflicts with the current state' },
  last_owner: { status: 409, message: 'An organization must keep at least one active owner' },
  payload_too_large: { status: 413, message: 'The request body is too large' },
  unsupported_media_type: { status: 415, message: 'Unsupported content type' },
  rate_limited: { status: 429, message: 'Too many requests, try again later' },
  internal_error: { status: 500, message: 'Internal server error' },
  unavailable: { status: 503, message: 'Service unavailable' },
  budget_state_unavailable: { status: 503, message: 'Budget counters cannot be read right now, try again' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;
export type ErrorDetails = Record<string, unknown>;

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly statusCode: number;
  readonly details: ErrorDetails;

  constructor(code: ErrorCode, message?: string, details: ErrorDetails = {}) {
    super(message ?? ERROR_CATALOGUE[code].message);
    this.name = 'AppError';
    this.code = code;
    this.statusCode = ERROR_CATALOGUE[code].status;
    this.details = details;
  }
}

/** Shorthands for the common cases so routes read as intent. */
export const fail = {
  notFound: (resource: string) => new AppError('not_found', `${resource} not found`, { resource }),
  validation: (field: string, message: string) =>
    new AppError('validation_failed', message, { field, location: 'body' }),
  conflict: (message: string, details: ErrorDetails = {}) => new AppError('conflict', message, details),
  forbidden: (message?: string) => new AppError('forbidden', message),
};

export const ErrorResponse = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: `One of: ${Object.keys(ERROR_CATALOGUE).join(', ')}` }),
      message: Type.String(),
      details: Type.Record(Type.String(), Type.Unknown()),
    }),
  },
  { $id: 'ErrorResponse', description: 'Every error response' },
);

/** `response` entries for a route schema: error shapes documented once. */
export const errorResponses = {
  '4xx': Type.Ref('ErrorResponse'),
  '5xx': Type.Ref('ErrorResponse'),
};

interface AjvIssue {
  instancePath?: string;
  keyword?: string;
  message?: string;
  params?: Record<string, unknown>;
}

/** The property a required/additionalProperties issue is about (Ajv names one, TypeBox lists them). */
function namedProperty(params: Record<string, unknown> | undefined): string | undefined {
  for (const key of ['missingProperty', 'additionalProperty', 'requiredProperties', 'additionalProperties']) {
    const value = params?.[key];
    const name = Array.isArray(value) ? value[0] : value;
    if (typeof name === 'string') return name;
  }
  return undefined;
}

/** `/allowedModels/0` + a missing `name` → `allowedModels.0.name`: the field the client has to fix. */
function fieldOf(issue: AjvIssue): string {
  const path = (issue.instancePath ?? '').split('/').filter(Boolean);
  const property = namedProperty(issue.params);
  if (property !== undefined && (issue.keyword === 'required' || issue.keyword === 'additionalProperties')) {
    path.push(property);
  }
  return path.join('.');
}

function messageOf(issue: AjvIssue): string {
  if (issue.keyword === 'required') return 'is required';
  if (issue.keyword === 'additionalProperties' || issue.message === 'schema is false')
    return 'is not allowed';
  return issue.message ?? 'is invalid';
}

function fromValidation(error: FastifyError): AppError {
  // "schema is false" duplicates the additionalProperties issue of the parent with less context.
  const issues = ((error.validation ?? []) as AjvIssue[]).filter(
    (issue) => issue.message !== 'schema is false',
  );
  const location = error.validationContext ?? 'body';
  const first = issues[0];
  const field = first ? fieldOf(first) : '';
  const text = first ? messageOf(first) : 'is invalid';
  return new AppError('validation_failed', field ? `${location}.${field} ${text}` : `${location} ${text}`, {
    field: field || null,
    location,
    issues: issues.map((issue) => ({ field: fieldOf(issue), message: messageOf(issue) })),
  });
}

interface PgError {
  code?: string;
  constraint?: string;
  column?: string;
  detail?: string;
}

/**
 * The request field behind a unique constraint. Under row-level security PostgreSQL leaves the key out of the error
 * detail, so the constraint names of the schema are mapped here (unknown ones fall back to parsing the detail).
 */
const UNIQUE_FIELDS: Record<string, string> = {
  orgs_slug_key: 'slug',
  teams_org_id_name_key: 'name',
  users_email_key: 'email',
  service_accounts_org_id_name_key: 'name',
  provider_credentials_org_id_provider_key: 'provider',
  pricing_overrides_org_id_provider_model_key: 'model',
  routing_rules_org_id_name_key: 'name',
  routing_deployments_org_id_name_key: 'name',
  model_overrides_org_id_provider_model_key: 'model',
  budgets_org_id_name_key: 'name',
  rate_limits_org_id_scope_subject_key: 'subject',
  alert_channels_org_id_name_key: 'name',
};

function conflictField(error: PgError): string | null {
  const known = error.constraint ? UNIQUE_FIELDS[error.constraint] : undefined;
  if (known) return known;
  // `Key (org_id, name)=(…) already exists.` → `name`: the column the client chose (org_id never is).
  const columns = /^Key \(([^)]+)\)=/
    .exec(error.detail ?? '')?.[1]
    ?.split(',')
    .map((column) => column.trim());
  const column = columns?.filter((name) => name !== 'org_id').pop();
  return column ? column.replace(/_([a-z])/g, (_, char: string) => char.toUpperCase()) : null;
}

/** Database constraint failures are the client's fault; everything else from pg is ours. */
function fromPostgres(error: PgError): AppError | null {
  switch (error.code) {
    case '23505':
      return new AppError('conflict', 'A resource with the same unique value already exists', {
        field: conflictField(error),
        constraint: error.constraint ?? null,
      });
    case '23503':
      return new AppError('conflict', 'A referenced resource does not exist or is still in use', {
        constraint: error.constraint ?? null,
      });
    case '23514':
    case '23502':
    case '22P02':
    case '22001':
      return new AppError('validation_failed', 'A value is out of range or malformed', {
        field: error.column ?? null,
        constraint: error.constraint ?? null,
      });
    default:
      return null;
  }
}

const STATUS_CODES: Record<number, ErrorCode> = {
  400: 'bad_request',
  401: 'unauthenticated',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
  503: 'unavailable',
};

export function toAppError(error: unknown): AppError | null {
  if (error instanceof AppError) return error;
  const candidate = error as FastifyError & PgError;
  if (candidate?.validation) return fromValidation(candidate);
  const pgError =
    typeof candidate?.code === 'string' && /^[0-9A-Z]{5}$/.test(candidate.code) ? candidate : null;
  if (pgError) return fromPostgres(pgError);
  const status = candidate?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const code = STATUS_CODES[status] ?? 'bad_request';
    // Fastify's own 4xx messages (bad JSON, wrong content type) are written for clients and safe to show.
    return new AppError(code, candidate.message || ERROR_CATALOGUE[code].message);
  }
  return null;
}

export function sendError(reply: FastifyReply, error: AppError): FastifyReply {
  return reply
    .code(error.statusCode)
    .type('application/json; charset=utf-8')
    .send({ error: { code: error.code, message: error.message, details: error.details } });
}

export function installErrorHandling(app: FastifyInstance): void {
  app.addSchema(ErrorResponse);
  app.setErrorHandler((error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const known = toAppError(error);
    if (known) {
      if (known.statusCode >= 500) request.log.error({ err: error }, known.message);
      return sendError(reply, known);
    }
    request.log.error({ err: error }, 'unhandled error');
    return sendError(reply, new AppError('internal_error'));
  });
  app.setNotFoundHandler((request, reply) =>
    sendError(
      reply,
      new AppError('not_found', `Route ${request.method} ${request.url.split('?')[0]} not found`),
    ),
  );
}
