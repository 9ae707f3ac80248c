// Sentry, only when SENTRY_DSN is set. Nothing request-specific is sent: no headers, bodies, prompts or keys
// (no default integrations, no data collection, only the error itself is captured).

// Loaded only when configured: the SDK costs ~40 MB of memory that a gateway without Sentry should not pay.
export async function initErrorReporting(
  env: NodeJS.ProcessEnv = process.env,
): Promise<((error: unknown, message?: string) => void) | undefined> {
  const dsn = env.SENTRY_DSN?.trim();
  if (!dsn) return undefined;
  const Sentry = await import('@sentry/node');
  Sentry.init({
    dsn,
    environment: env.SENTRY_ENVIRONMENT?.trim() || 'production',
    // No automatic instrumentation: nothing about requests is collected, only errors we capture explicitly.
    defaultIntegrations: false,
    dataCollection: {
      userInfo: false,
      cookies: false,
      httpHeaders: false,
      httpBodies: [],
      urlQueryParams: false,
    },
    tracesSampleRate: 0,
  });
  return (error, message) => {
    Sentry.captureException(error, message ? { extra: { message } } : undefined);
  };
}
