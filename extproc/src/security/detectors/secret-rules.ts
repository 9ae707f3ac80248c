// Issuer-prefixed credentials: one entry per token family the issuer documents (prefix, alphabet, length) and,
// where the issuer embeds one, a structural check (checksum, JSON header, marker) that tells a real token from a
// look-alike. Each pattern is sticky: it runs only at a position where one of its literal prefixes starts a
// token, never across the text, so no pattern here can be driven into a long backtracking search.
import type { Severity } from '../types.js';
import { base62, crc32, isBase64Json } from './value-checks.js';

/**
 * `valid`: the structure checks out; `unverified`: the shape matches but the embedded check fails (a made-up or
 * truncated token; reported with lower severity); `invalid`: not this kind of token.
 */
export type TokenVerdict = 'valid' | 'unverified' | 'invalid';

export interface TokenRule {
  rule: string;
  /** Human name used in reasons, never the token. */
  label: string;
  /** Literal starts of the token; case-sensitive. */
  prefixes: readonly string[];
  /** Sticky pattern for the whole token from the prefix on (with `jwt`: for what precedes the JWT). */
  pattern: RegExp;
  /** A JSON Web Token follows what `pattern` matched; found by a scanner that never re-reads a stretch. */
  jwt?: boolean;
  severity: Severity;
  confidence: number;
  check?: (token: string) => TokenVerdict;
}

/** GitHub and npm put a base62 CRC-32 of the random part in the last six characters. */
function crc62Check(prefixLength: number): (token: string) => TokenVerdict {
  return (token) => {
    const random = token.slice(prefixLength, -6);
    return base62(crc32(random), 6) === token.slice(-6) ? 'valid' : 'unverified';
  };
}

/** Cloudflare's prefixed tokens end in the hex CRC-32 of the 40 characters before it. */
function cloudflareCheck(token: string): TokenVerdict {
  const body = token.slice(token.indexOf('_') + 1);
  const crc = crc32(body.slice(0, 40)).toString(16).padStart(8, '0');
  return crc === body.slice(40) ? 'valid' : 'unverified';
}

/** Every OpenAI secret key format carries `T3BlbkFJ` (base64 of "OpenAI") between its two random halves. */
function openAiCheck(token: string): TokenVerdict {
  return token.includes('T3BlbkFJ') ? 'valid' : 'invalid';
}

/** The AWS documentation's sample ids end in EXAMPLE and appear in countless tutorials. */
function awsIdCheck(token: string): TokenVerdict {
  return token.endsWith('EXAMPLE') ? 'invalid' : 'valid';
}

/** A JSON object after the prefix (1Password service accounts, Grafana Cloud, JWTs). */
function jsonAfter(prefix: string): (token: string) => TokenVerdict {
  return (token) => (isBase64Json(token.slice(prefix.length)) ? 'valid' : 'invalid');
}

function jwtHeaderCheck(token: string): TokenVerdict {
  const dot = token.indexOf('.');
  const header = token.slice(token.indexOf('eyJ'), dot);
  try {
    const parsed: unknown = JSON.parse(Buffer.from(header, 'base64').toString('utf8'));
    return typeof parsed === 'object' &&
      parsed !== null &&
      typeof (parsed as { alg?: unknown }).alg === 'string'
      ? 'valid'
      : 'invalid';
  } catch {
    return 'invalid';
  }
}

/**
 * A JWT written in base64 once more (`ZXlK` is base64 of its `eyJ`): decoded, it must be a JWT whose header is a
 * JSON object (with or without `alg`: the double wrapping is evidence enough).
 */
function base64JwtCheck(token: string): TokenVerdict {
  const decoded = Buffer.from(token, 'base64').toString('latin1');
  const jwt = /^(eyJ[\w-]{4,})\.eyJ[\w-]{4,}/.exec(decoded);
  if (jwt === null) return 'invalid';
  try {
    const header: unknown = JSON.parse(Buffer.from(jwt[1] as string, 'base64').toString('utf8'));
    return typeof header === 'object' && header !== null ? 'valid' : 'invalid';
  } catch {
    return 'invalid';
  }
}

const rule = (
  name: string,
  label: string,
  prefixes: readonly string[],
  source: string,
  severity: Severity,
  confidence: number,
  check?: (token: string) => TokenVerdict,
  jwt = false,
): TokenRule => ({
  rule: name,
  label,
  prefixes,
  pattern: new RegExp(source, 'y'),
  severity,
  confidence,
  ...(check ? { check } : {}),
  ...(jwt ? { jwt } : {}),
});

const B64URL = '[A-Za-z0-9_-]';

/** Ordered: where two rules share a prefix, the more specific comes first. */
export const TOKEN_RULES: readonly TokenRule[] = [
  // LLM providers
  rule(
    'anthropic_api_key',
    'Anthropic API key',
    ['sk-ant-'],
    `sk-ant-[a-z]{3,5}\\d{2}-${B64URL}{80,200}`,
    'critical',
    0.97,
  ),
  rule('openrouter_api_key', 'OpenRouter API key', ['sk-or-v1-'], 'sk-or-v1-[a-f0-9]{64}', 'critical', 0.95),
  rule(
    'openai_api_key',
    'OpenAI API key',
    ['sk-'],
    `sk-(?:proj-|svcacct-|admin-|None-)?${B64URL}{20,250}`,
    'critical',
    0.97,
    openAiCheck,
  ),
  rule('deepseek_api_key', 'DeepSeek API key', ['sk-'], 'sk-[a-f0-9]{32}', 'critical', 0.7),
  rule('groq_api_key', 'Groq API key', ['gsk_'], 'gsk_[A-Za-z0-9]{52}', 'critical', 0.9),
  rule('xai_api_key', 'xAI API key', ['xai-'], 'xai-[A-Za-z0-9]{80}', 'critical', 0.9),
  rule('perplexity_api_key', 'Perplexity API key', ['pplx-'], 'pplx-[A-Za-z0-9]{48}', 'critical', 0.9),
  rule('replicate_api_token', 'Replicate API token', ['r8_'], 'r8_[A-Za-z0-9]{37}', 'critical', 0.85),
  rule('huggingface_token', 'Hugging Face token', ['hf_'], 'hf_[A-Za-z]{34}', 'critical', 0.85),
  rule(
    'huggingface_org_token',
    'Hugging Face org token',
    ['api_org_'],
    'api_org_[A-Za-z]{34}',
    'critical',
    0.85,
  ),
  // Cloud
  rule(
    'aws_access_key_id',
    'AWS access key id',
    ['AKIA', 'ASIA', 'ABIA', 'ACCA'],
    '(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}',
    'critical',
    0.9,
    awsIdCheck,
  ),
  rule('gcp_api_key', 'Google API key', ['AIza'], `AIza${B64URL}{35}`, 'critical', 0.9),
  rule(
    'google_oauth_client_secret',
    'Google OAuth client secret',
    ['GOCSPX-'],
    `GOCSPX-${B64URL}{28}`,
    'critical',
    0.9,
  ),
  rule(
    'google_oauth_access_token',
    'Google OAuth access token',
    ['ya29.'],
    `ya29\\.${B64URL}{30,512}`,
    'high',
    0.8,
  ),
  rule(
    'cloudflare_api_token',
    'Cloudflare API token',
    ['cfat_', 'cfut_', 'cfk_'],
    'cf(?:at|ut|k)_[A-Za-z0-9]{40}[a-f0-9]{8}',
    'critical',
    0.95,
    cloudflareCheck,
  ),
  rule(
    'digitalocean_token',
    'DigitalOcean token',
    ['dop_v1_', 'doo_v1_', 'dor_v1_'],
    'do[opr]_v1_[a-f0-9]{64}',
    'critical',
    0.95,
  ),
  rule(
    'vercel_token',
    'Vercel token',
    ['vcp_', 'vci_', 'vca_', 'vcr_', 'vck_'],
    'vc[pikar]_[A-Za-z0-9]{40,64}',
    'critical',
    0.85,
  ),
  rule('supabase_token', 'Supabase access token', ['sbp_'], 'sbp_[a-f0-9]{40}', 'critical', 0.9),
  rule('databricks_token', 'Databricks token', ['dapi'], 'dapi[a-fA-F0-9]{32}(?:-\\d)?', 'critical', 0.85),
  rule(
    'hashicorp_vault_token',
    'HashiCorp Vault token',
    ['hvs.', 'hvb.', 'hvr.'],
    `hv[sbr]\\.${B64URL}{90,400}`,
    'critical',
    0.9,
  ),
  rule(
    'tailscale_key',
    'Tailscale key',
    ['tskey-'],
    'tskey-[a-z]{2,16}-[A-Za-z0-9]{6,32}-[A-Za-z0-9]{10,64}',
    'critical',
    0.9,
  ),
  // Code hosting, packages, CI
  rule(
    'github_token',
    'GitHub app installation token',
    ['ghs_'],
    'ghs_\\d{1,12}_',
    'critical',
    0.95,
    jwtHeaderCheck,
    true,
  ),
  rule(
    'github_token',
    'GitHub token',
    ['ghp_', 'gho_', 'ghu_', 'ghs_', 'ghr_'],
    'gh[pousr]_[A-Za-z0-9]{36}',
    'critical',
    0.97,
    crc62Check(4),
  ),
  rule(
    'github_token',
    'GitHub fine-grained token',
    ['github_pat_'],
    'github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}',
    'critical',
    0.97,
  ),
  rule(
    'gitlab_token',
    'GitLab token',
    ['glpat-', 'gldt-', 'glrt-', 'glptt-', 'glcbt-', 'gloas-', 'glsoat-', 'glffct-', 'glimt-', 'glagent-'],
    'gl(?:pat|dt|rt|ptt|cbt|oas|soat|ffct|imt|agent)-[A-Za-z0-9_.-]{20,100}',
    'critical',
    0.9,
  ),
  rule('npm_token', 'npm access token', ['npm_'], 'npm_[A-Za-z0-9]{36}', 'critical', 0.95, crc62Check(4)),
  rule(
    'pypi_token',
    'PyPI upload token',
    ['pypi-AgEIcHlwaS5vcmc'],
    `pypi-AgEIcHlwaS5vcmc${B64URL}{50,400}`,
    'critical',
    0.97,
  ),
  rule(
    'docker_token',
    'Docker Hub access token',
    ['dckr_pat_', 'dckr_oat_'],
    `dckr_(?:pat|oat)_${B64URL}{27,64}`,
    'critical',
    0.9,
  ),
  rule(
    'atlassian_api_token',
    'Atlassian API token',
    ['ATATT3'],
    'ATATT3[A-Za-z0-9_=-]{180,300}',
    'critical',
    0.9,
  ),
  rule('linear_api_key', 'Linear API key', ['lin_api_'], 'lin_api_[A-Za-z0-9]{40,64}', 'critical', 0.9),
  rule('postman_api_key', 'Postman API key', ['PMAK-'], 'PMAK-[a-f0-9]{24}-[a-f0-9]{34}', 'critical', 0.9),
  rule('notion_token', 'Notion integration token', ['ntn_'], 'ntn_\\d{11}[A-Za-z0-9]{35}', 'critical', 0.9),
  rule('figma_token', 'Figma access token', ['figd_'], `figd_${B64URL}{40,80}`, 'critical', 0.9),
  rule(
    'grafana_token',
    'Grafana Cloud token',
    ['glc_'],
    'glc_[A-Za-z0-9+/]{32,400}={0,2}',
    'critical',
    0.9,
    jsonAfter('glc_'),
  ),
  rule(
    'grafana_token',
    'Grafana service account token',
    ['glsa_'],
    'glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}',
    'critical',
    0.95,
  ),
  rule(
    'sentry_token',
    'Sentry auth token',
    ['sntrys_eyJ'],
    'sntrys_eyJ[A-Za-z0-9+/=_-]{50,400}',
    'high',
    0.9,
    jsonAfter('sntrys_'),
  ),
  rule('sentry_token', 'Sentry user token', ['sntryu_'], 'sntryu_[a-f0-9]{64}', 'high', 0.9),
  // Messaging, payments, commerce
  rule(
    'slack_token',
    'Slack token',
    ['xoxb-', 'xoxa-', 'xoxp-', 'xoxr-', 'xoxo-', 'xoxs-', 'xoxe-'],
    // Workspace tokens carry a version first (`xoxa-2-…`).
    'xox[abposre]-(?:\\d-)?\\d{6,20}-[A-Za-z0-9-]{6,250}',
    'critical',
    0.9,
  ),
  rule(
    'slack_token',
    'Slack configuration token',
    ['xoxe.xox', 'xoxe-1-'],
    'xoxe(?:\\.xox[bp]-\\d-[A-Za-z0-9]{100,300}|-\\d-[A-Za-z0-9]{140,300})',
    'critical',
    0.9,
  ),
  rule(
    'slack_token',
    'Slack app token',
    ['xapp-'],
    'xapp-\\d-[A-Z0-9]{6,32}-\\d{6,20}-[a-f0-9]{32,80}',
    'critical',
    0.9,
  ),
  rule(
    'sendgrid_api_key',
    'SendGrid API key',
    ['SG.'],
    `SG\\.${B64URL}{22}\\.${B64URL}{43}`,
    'critical',
    0.95,
  ),
  rule('twilio_api_key', 'Twilio API key SID', ['SK'], 'SK[0-9a-fA-F]{32}', 'high', 0.7),
  rule(
    'stripe_secret_key',
    'Stripe live secret key',
    ['sk_live_', 'rk_live_'],
    '[sr]k_live_[A-Za-z0-9]{24,247}',
    'critical',
    0.95,
  ),
  rule(
    'stripe_test_key',
    'Stripe test secret key',
    ['sk_test_', 'rk_test_'],
    '[sr]k_test_[A-Za-z0-9]{24,247}',
    'medium',
    0.9,
  ),
  rule(
    'stripe_webhook_secret',
    'Stripe webhook secret',
    ['whsec_'],
    'whsec_[A-Za-z0-9+/]{32,88}',
    'high',
    0.85,
  ),
  rule(
    'shopify_token',
    'Shopify token',
    ['shpss_', 'shpat_', 'shpca_', 'shppa_'],
    'shp(?:ss|at|ca|pa)_[A-Za-z0-9]{32,64}',
    'critical',
    0.9,
  ),
  rule(
    'facebook_access_token',
    'Facebook page or app access token',
    ['EAAM', 'EAAC'],
    'EAA[MC][A-Za-z0-9]{100,400}',
    'high',
    0.8,
  ),
  rule(
    'sourcegraph_token',
    'Sourcegraph access token',
    ['sgp_'],
    'sgp_(?:local_|[A-Fa-f0-9]{16}_)?[A-Fa-f0-9]{40}',
    'critical',
    0.9,
  ),
  rule(
    'new_relic_key',
    'New Relic key',
    ['NRAK-', 'NRII-', 'NRJS-'],
    'NR(?:AK|II|JS)-[A-Za-z0-9]{19,32}',
    'high',
    0.85,
  ),
  rule('heroku_api_key', 'Heroku API key', ['HRKU-'], 'HRKU-[A-Za-z0-9_-]{60,64}', 'critical', 0.9),
  rule(
    'aws_bedrock_api_key',
    'Amazon Bedrock API key',
    ['ABSK'],
    'ABSK[A-Za-z0-9+/]{109,269}={0,2}',
    'critical',
    0.9,
  ),
  // Password managers, encryption keys
  rule(
    'onepassword_service_token',
    '1Password service account token',
    ['ops_eyJ'],
    `ops_eyJ${B64URL}{60,2048}={0,2}`,
    'critical',
    0.95,
    jsonAfter('ops_'),
  ),
  rule(
    'onepassword_secret_key',
    '1Password secret key',
    ['A3-'],
    'A3-[A-Z0-9]{6}-[A-Z0-9]{6}-[A-Z0-9]{5}-[A-Z0-9]{5}-[A-Z0-9]{5}-[A-Z0-9]{5}',
    'critical',
    0.9,
  ),
  rule(
    'age_secret_key',
    'age secret key',
    ['AGE-SECRET-KEY-1'],
    'AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}',
    'critical',
    0.97,
  ),
  // Bearer tokens without an issuer prefix
  rule('jwt', 'JSON Web Token', ['eyJ'], '', 'high', 0.85, jwtHeaderCheck, true),
  rule(
    'jwt_base64',
    'JSON Web Token in base64',
    ['ZXlK'],
    'ZXlK[A-Za-z0-9+/]{60,}={0,2}',
    'high',
    0.8,
    base64JwtCheck,
  ),
];
