/**
 * CLI: start the fake OpenAI + Anthropic upstream and print its URL on stdout (one line), then serve until
 * SIGINT/SIGTERM.
 *
 *   fake-upstream-main [--port N] [--host H] [--openai-keys k1,k2] [--anthropic-keys k1,k2]
 *                      [--default x-fake-delay-ms=5 ...] [--max-interactions N] [--verbose]
 *
 * Environment fallbacks: FAKE_UPSTREAM_PORT (or PORT), FAKE_UPSTREAM_HOST, FAKE_UPSTREAM_OPENAI_KEYS,
 * FAKE_UPSTREAM_ANTHROPIC_KEYS, FAKE_UPSTREAM_DEFAULTS ("x-fake-delay-ms=5,x-fake-pieces=50").
 * A bare positional number is taken as the port.
 */
import { type FakeUpstreamOptions, startFakeUpstream } from './fake-upstream.js';

interface CliArgs {
  options: FakeUpstreamOptions;
  verbose: boolean;
}

function usage(): never {
  process.stderr.write(
    'usage: fake-upstream-main [--port N] [--host H] [--openai-keys a,b] [--anthropic-keys a,b] ' +
      '[--default x-fake-NAME=VALUE]... [--max-interactions N] [--verbose]\n',
  );
  process.exit(2);
}

function parseNonNegInt(raw: string, what: string, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(n) || n < 0 || n > max) {
    process.stderr.write(`invalid ${what}: ${raw}\n`);
    process.exit(2);
  }
  return n;
}

function parsePort(raw: string): number {
  return parseNonNegInt(raw, 'port', 65535);
}

function parseDefaults(list: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of list) {
    const eq = item.indexOf('=');
    if (eq <= 0) {
      process.stderr.write(`invalid default (expected name=value): ${item}\n`);
      process.exit(2);
    }
    out[item.slice(0, eq).trim().toLowerCase()] = item.slice(eq + 1).trim();
  }
  return out;
}

function splitList(raw: string | undefined): string[] | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function parseArgs(argv: string[], env: NodeJS.ProcessEnv): CliArgs {
  const envPort = env.FAKE_UPSTREAM_PORT ?? env.PORT;
  let port = envPort !== undefined && envPort !== '' ? parsePort(envPort) : 0;
  let host = env.FAKE_UPSTREAM_HOST ?? '127.0.0.1';
  let openaiApiKeys = splitList(env.FAKE_UPSTREAM_OPENAI_KEYS);
  let anthropicApiKeys = splitList(env.FAKE_UPSTREAM_ANTHROPIC_KEYS);
  const defaults = splitList(env.FAKE_UPSTREAM_DEFAULTS) ?? [];
  let maxInteractions = 1000;
  let verbose = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? splitOnce(arg) : [arg, undefined];
    const value = (): string => {
      if (inline !== undefined) return inline;
      const v = argv[++i];
      if (v === undefined) usage();
      return v;
    };
    switch (flag) {
      case '--port':
      case '-p':
        port = parsePort(value());
        break;
      case '--host':
        host = value();
        break;
      case '--openai-keys':
        openaiApiKeys = splitList(value());
        break;
      case '--anthropic-keys':
        anthropicApiKeys = splitList(value());
        break;
      case '--default':
        defaults.push(value());
        break;
      case '--max-interactions':
        maxInteractions = parseNonNegInt(value(), 'max-interactions');
        break;
      case '--verbose':
      case '-v':
        verbose = true;
        break;
      case '--help':
      case '-h':
        usage();
        break;
      default:
        if (/^\d+$/.test(arg)) port = parsePort(arg);
        else usage();
    }
  }
  const options: FakeUpstreamOptions = {
    port,
    host,
    maxInteractions,
    defaultControls: parseDefaults(defaults),
  };
  if (openaiApiKeys) options.openaiApiKeys = openaiApiKeys;
  if (anthropicApiKeys) options.anthropicApiKeys = anthropicApiKeys;
  return { options, verbose };
}

function splitOnce(arg: string): [string, string] {
  const eq = arg.indexOf('=');
  return [arg.slice(0, eq), arg.slice(eq + 1)];
}

async function main(): Promise<void> {
  const { options, verbose } = parseArgs(process.argv.slice(2), process.env);
  const upstream = await startFakeUpstream(options);
  process.stdout.write(`${upstream.url}\n`);
  let logged = 0;
  const timer = verbose
    ? setInterval(() => {
        // Interactions may be trimmed to maxInteractions; log whatever settled since the last tick.
        for (const i of upstream.interactions) {
          if (i.id < logged || !(i.completed || i.closedEarly || i.hung)) continue;
          logged = i.id + 1;
          const how = i.hung ? 'hung' : i.closedEarly ? 'closed early' : 'completed';
          process.stderr.write(
            `${i.method} ${i.path} model=${i.model ?? '-'} stream=${i.stream} -> ${i.status} ` +
              `${i.responseBody.length}B ${how}\n`,
          );
        }
      }, 200)
    : undefined;
  const stop = () => {
    if (timer) clearInterval(timer);
    upstream.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`fake-upstream: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
