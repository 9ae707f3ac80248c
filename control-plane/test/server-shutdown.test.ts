// RunningServer.close() over real sockets: it must finish promptly whatever connections are open. Node's
// server.close() (called by Fastify) only drops connections idle between keep-alive requests; one that has not sent
// a request yet counts as busy until headersTimeout (60 s, checked every 30 s), and one whose response is sent after
// close() began stays open for keepAliveTimeout (72 s). Each held the control plane's shutdown for over a minute.
/// <reference path="./support/provided.d.ts" />
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { PolicyPublisher } from '../src/policy/publisher.js';
import { type RunningServer, startServer } from '../src/server.js';
import { createDatabase } from './support/services.js';

const INTERNAL_TOKEN = randomBytes(24).toString('hex');
const auth = { authorization: `Bearer ${INTERNAL_TOKEN}` };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let server: RunningServer | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await server?.close();
  server = undefined;
});

async function start(): Promise<{ url: string; port: number }> {
  server = await startServer(
    loadConfig({
      DATABASE_URL: await createDatabase(inject('DATABASE_ADMIN_URL')),
      ACC_MASTER_KEY: 'c'.repeat(64),
      ACC_INTERNAL_TOKEN: INTERNAL_TOKEN,
      ACC_CP_HOST: '127.0.0.1',
      ACC_CP_PORT: '0',
      ACC_LOG_LEVEL: 'silent',
    }),
    { logger: false },
  );
  const url = server.address.replace('localhost', '127.0.0.1');
  return { url, port: Number(new URL(url).port) };
}

/** close()'s duration, or a failure when it takes more than 5 s (it would otherwise take 60–90 s). */
async function timedClose(running: { close(): Promise<void> }): Promise<number> {
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    running.close().then(() => 'closed'),
    new Promise<string>((resolve) => {
      timer = setTimeout(() => resolve('still open after 5 s'), 5_000);
    }),
  ]);
  clearTimeout(timer);
  expect(outcome).toBe('closed');
  return Date.now() - started;
}

async function rawConnection(port: number): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  sockets.push(socket);
  socket.on('error', () => {});
  await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  return socket;
}

/** Everything the server sends until it closes the connection. */
const received = (socket: Socket) =>
  new Promise<string>((resolve) => {
    let text = '';
    socket.on('data', (chunk) => {
      text += chunk.toString('utf8');
    });
    socket.once('close', () => resolve(text));
  });

async function currentVersion(url: string): Promise<number> {
  const response = await fetch(`${url}/internal/v1/policy/snapshot?after=0&waitMs=5000`, { headers: auth });
  expect(response.status).toBe(200);
  return ((await response.json()) as { version: number }).version;
}

describe('control plane shutdown', () => {
  it('closes promptly with a connection open that never sent a request', async () => {
    const { port } = await start();
    const idle = await rawConnection(port);
    const closed = received(idle);
    await sleep(50);
    const running = server as RunningServer;
    expect(await timedClose(running)).toBeLessThan(1_000);
    expect(await closed).toBe('');
  }, 120_000);

  it('closes promptly after an extproc-style long-poll was aborted', async () => {
    const { url } = await start();
    const version = await currentVersion(url);
    // Like extproc (and the e2e test around it): API calls and the long-poll share fetch's keep-alive pool, and the
    // long-poll is aborted when extproc stops. Node's fetch then opens a spare connection that sends nothing.
    await fetch(`${url}/healthz`).then((response) => response.text());
    const abort = new AbortController();
    const parked = fetch(`${url}/internal/v1/policy/snapshot?after=${version}&waitMs=25000`, {
      headers: auth,
      signal: abort.signal,
    }).catch((error: unknown) => error);
    await sleep(100);
    await fetch(`${url}/healthz`).then((response) => response.text());
    abort.abort();
    expect(await parked).toBeInstanceOf(Error);
    await sleep(100);
    expect(await timedClose(server as RunningServer)).toBeLessThan(1_000);
  }, 120_000);

  it('answers a parked long-poll 204 and closes its keep-alive connection', async () => {
    const { url } = await start();
    const version = await currentVersion(url);
    const parked = fetch(`${url}/internal/v1/policy/snapshot?after=${version}&waitMs=25000`, {
      headers: auth,
    });
    await sleep(100);
    const closing = timedClose(server as RunningServer);
    const response = await parked;
    expect(response.status).toBe(204);
    expect(await closing).toBeLessThan(2_000);
  }, 120_000);

  it('finishes a request in flight when close() starts, then closes its connection', async () => {
    const { port } = await start();
    const socket = await rawConnection(port);
    const reply = received(socket);
    const body = JSON.stringify({ email: 'nobody@example.com', password: 'not the right password' });
    // Headers and half the body: the request is in flight until the rest arrives.
    socket.write(
      'POST /api/v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body.slice(0, 10)}`,
    );
    await sleep(100);
    const closing = timedClose(server as RunningServer);
    await sleep(200);
    socket.write(body.slice(10));
    const [text, took] = await Promise.all([reply, closing]);
    expect(text).toMatch(/^HTTP\/1\.1 401 /);
    expect(text.toLowerCase()).toContain('connection: close');
    expect(took).toBeLessThan(2_000);
  }, 120_000);

  it("the policy publisher's close() does not wait out a retry delay that began while it closed", async () => {
    let started: () => void = () => {};
    const compiling = new Promise<void>((resolve) => {
      started = resolve;
    });
    let fail: (error: Error) => void = () => {};
    const publisher = new PolicyPublisher({
      db: {
        withAdmin: () =>
          new Promise((_resolve, reject) => {
            fail = reject;
            started();
          }),
      },
      log: { info: () => {}, error: () => {} },
      debounceMs: 0,
      retryInitialMs: 30_000,
    });
    publisher.changed();
    await compiling;
    const closing = timedClose(publisher);
    // The publication in progress fails after close() began: its retry delay must not hold close() up.
    fail(new Error('database gone'));
    expect(await closing).toBeLessThan(1_000);
  }, 60_000);
});
