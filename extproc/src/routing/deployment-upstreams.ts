// Operator-declared upstreams (ACC_UPSTREAMS) and credentials (ACC_DEPLOYMENT_CREDENTIALS) that deployments refer to
// by name. Parsed once at start; a mistake fails the process with a message naming the entry.
//
// extproc does not depend on the envoy package, so the URL rules of envoy/src/bootstrap.ts `parseUpstreamUrl` are
// applied here again (http or https, host, optional port; no credentials, query or fragment), with one more: no path
// prefix, because Envoy cannot rewrite the path per fallback attempt (see envoy-deployments.ts).
import { readFileSync } from 'node:fs';

export interface DeploymentUpstream {
  /** The name a deployment's `baseUrlCluster` uses. */
  name: string;
  url: string;
  tls: boolean;
  /** Host name or IP literal (IPv6 without brackets). */
  host: string;
  port: number;
}

export class DeploymentConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DeploymentConfigError';
  }
}

const UPSTREAM_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/** Strictly parses one upstream base URL; `what` names the setting in the error. */
export function parseDeploymentUpstreamUrl(name: string, raw: string, what: string): DeploymentUpstream {
  const text = raw.trim();
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new DeploymentConfigError(`${what}: not a valid absolute URL: ${JSON.stringify(raw)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new DeploymentConfigError(`${what}: scheme must be http or https in ${text}`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new DeploymentConfigError(`${what}: credentials in the URL are not supported (${url.host})`);
  }
  if (url.search !== '' || text.includes('?'))
    throw new DeploymentConfigError(`${what}: query strings are not supported: ${text}`);
  if (url.hash !== '' || text.includes('#'))
    throw new DeploymentConfigError(`${what}: fragments are not supported: ${text}`);
  if (url.pathname.replace(/\/+$/, '') !== '') {
    throw new DeploymentConfigError(
      `${what}: a path prefix is not supported for deployment upstreams (Envoy cannot rewrite the path per fallback attempt): ${text}`,
    );
  }
  let host = url.hostname;
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  if (host === '') throw new DeploymentConfigError(`${what}: missing host in ${text}`);
  const tls = url.protocol === 'https:';
  const port = url.port === '' ? (tls ? 443 : 80) : Number(url.port);
  return { name, url: text, tls, host, port };
}

/** `name=https://host[:port],…` → upstreams by name. Names follow the control plane's `baseUrlCluster` pattern. */
export function parseUpstreamList(raw: string | undefined): Map<string, DeploymentUpstream> {
  const upstreams = new Map<string, DeploymentUpstream>();
  const text = raw?.trim() ?? '';
  if (text === '') return upstreams;
  for (const entry of text.split(',')) {
    const at = entry.indexOf('=');
    const name = at < 0 ? '' : entry.slice(0, at).trim();
    if (at < 0 || !UPSTREAM_NAME.test(name)) {
      throw new DeploymentConfigError(
        `ACC_UPSTREAMS: each entry must be name=https://host[:port] with a name of letters, digits, '.', '_', '-'; got ${JSON.stringify(entry.trim())}`,
      );
    }
    if (upstreams.has(name)) throw new DeploymentConfigError(`ACC_UPSTREAMS: '${name}' is declared twice`);
    upstreams.set(name, parseDeploymentUpstreamUrl(name, entry.slice(at + 1), `ACC_UPSTREAMS '${name}'`));
  }
  return upstreams;
}

/** `{"<credentialRef>": "<secret>"}` inline or `@path`: the credentials deployments name in `credentialRef`. */
export function parseDeploymentCredentials(raw: string | undefined): Map<string, string> {
  const credentials = new Map<string, string>();
  let text = raw?.trim() ?? '';
  if (text === '') return credentials;
  if (text.startsWith('@')) {
    try {
      text = readFileSync(text.slice(1), 'utf8');
    } catch (error) {
      throw new DeploymentConfigError(
        `ACC_DEPLOYMENT_CREDENTIALS: cannot read ${text.slice(1)}: ${(error as Error).message}`,
      );
    }
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // The parser's message would quote the text, which holds secrets.
    throw new DeploymentConfigError('ACC_DEPLOYMENT_CREDENTIALS: not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new DeploymentConfigError('ACC_DEPLOYMENT_CREDENTIALS: expected a JSON object of name → secret');
  }
  for (const [name, secret] of Object.entries(parsed)) {
    if (typeof secret !== 'string' || secret.trim() === '' || /[\r\n\0]/.test(secret)) {
      throw new DeploymentConfigError(
        `ACC_DEPLOYMENT_CREDENTIALS: '${name}' must be a non-empty single-line string`,
      );
    }
    credentials.set(name, secret.trim());
  }
  return credentials;
}

/**
 * A provider's base URL (ACC_OPENAI_BASE_URL, ACC_ANTHROPIC_BASE_URL) as the upstream of deployments without
 * `baseUrlCluster`; null when it has a path prefix (its static route applies the prefix; deployments cannot).
 */
export function parseProviderDefaultUpstream(
  name: string,
  raw: string,
  what: string,
): DeploymentUpstream | null {
  let pathname = '';
  try {
    pathname = new URL(raw.trim()).pathname;
  } catch {
    // parseDeploymentUpstreamUrl below reports it.
  }
  if (pathname.replace(/\/+$/, '') !== '') return null;
  return parseDeploymentUpstreamUrl(name, raw, what);
}
