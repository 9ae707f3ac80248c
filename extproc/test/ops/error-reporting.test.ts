// With SENTRY_DSN set, error-level log entries that carry an error reach Sentry, without request data.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as Sentry from '@sentry/node';
import { afterAll, describe, expect, it } from 'vitest';
import { initErrorReporting } from '../../src/error-reporting.js';
import { createLogger } from '../../src/log.js';

describe('error reporting', () => {
  const envelopes: string[] = [];
  const sentry = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      envelopes.push(`${req.url}\n${body}`);
      res.writeHead(200).end('{}');
    });
  });
  afterAll(() => new Promise<void>((resolve) => sentry.close(() => resolve())));

  it('is off without SENTRY_DSN', async () => {
    expect(await initErrorReporting({})).toBeUndefined();
  });

  it('forwards logged errors to the configured DSN, without the log context', async () => {
    await new Promise<void>((resolve) => sentry.listen(0, '127.0.0.1', () => resolve()));
    const { port } = sentry.address() as AddressInfo;
    const onError = await initErrorReporting({ SENTRY_DSN: `http://publickey@127.0.0.1:${port}/42` });
    expect(onError).toBeDefined();
    const log = createLogger('error', { onError });
    log.error({ err: new Error('pricing table exploded'), prompt: 'secret prompt text' }, 'pricing failed');
    log.warn({ err: new Error('only a warning') }, 'not reported');
    await Sentry.flush(5000);
    const sent = envelopes.join('\n');
    expect(sent).toContain('/api/42/envelope/');
    expect(sent).toContain('pricing table exploded');
    expect(sent).not.toContain('only a warning');
    expect(sent).not.toContain('secret prompt text');
  });
});

describe('logger without error reporting', () => {
  it('logs errors normally when no reporter is configured', () => {
    const log = createLogger('silent');
    expect(() => log.error({ err: new Error('x') }, 'no reporter')).not.toThrow();
  });
});
