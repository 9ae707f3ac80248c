import { describe, expect, it } from 'vitest';
import { secretsDetector } from '../../src/security/detectors/secrets.js';
import type { Finding, ScanInput } from '../../src/security/types.js';
import { FakeCredentials, inputOf, privateKeyPem, segment, spanText } from './fake-credentials.js';

const fake = new FakeCredentials(7);

function scan(text: string): { input: ScanInput; findings: Finding[] } {
  const input = inputOf(segment(text));
  return { input, findings: secretsDetector.scan(input) };
}

/** The single finding in `text`, checked to span exactly `secret`. */
function only(text: string, secret: string): Finding {
  const { input, findings } = scan(text);
  expect(findings.map((f) => f.rule)).toHaveLength(1);
  const finding = findings[0] as Finding;
  expect(spanText(input, finding)).toBe(secret);
  expect(finding.redactable).toBe(true);
  expect(finding.maskedExcerpt).not.toContain(secret);
  expect(finding.reason).not.toContain(secret);
  return finding;
}

describe('secrets detector: issuer tokens', () => {
  it.each([
    ['OpenAI project key', () => fake.openAi(), 'openai_api_key'],
    ['Anthropic key', () => fake.anthropic(), 'anthropic_api_key'],
    ['AWS access key id', () => fake.awsKeyId(), 'aws_access_key_id'],
    ['Google API key', () => fake.googleApiKey(), 'gcp_api_key'],
    ['GitHub token with a valid checksum', () => fake.github(), 'github_token'],
    ['GitHub OAuth token', () => fake.github('gho'), 'github_token'],
    ['npm token with a valid checksum', () => fake.npm(), 'npm_token'],
    ['Slack bot token', () => fake.slackBot(), 'slack_token'],
    ['Stripe live key', () => fake.stripeLive(), 'stripe_secret_key'],
    ['Hugging Face token', () => fake.huggingFace(), 'huggingface_token'],
    ['1Password service account token', () => fake.onePassword(), 'onepassword_service_token'],
    ['Postman API key', () => `PMAK-${fake.hex(24)}-${fake.hex(34)}`, 'postman_api_key'],
    ['Slack workspace token', () => `xoxa-2-${fake.pick('0123456789', 9)}-${fake.alnum(40)}`, 'slack_token'],
    ['Sourcegraph token', () => `sgp_local_${fake.hex(40)}`, 'sourcegraph_token'],
    ['Heroku API key', () => `HRKU-${fake.alnum(60)}`, 'heroku_api_key'],
    ['Amazon Bedrock API key', () => `ABSK${fake.alnum(120)}`, 'aws_bedrock_api_key'],
  ])('%s: critical, spanning the token alone', (_name, make, rule) => {
    const token = make();
    for (const text of [
      `export KEY=${token}\n`,
      `use "${token}" here`,
      `Authorization: Bearer ${token}`,
      token,
    ]) {
      const finding = only(text, token);
      expect(finding.rule).toBe(rule);
      expect(finding.severity).toBe('critical');
    }
  });

  it('reports a Groq key exactly 52 characters after its prefix, and nothing longer, shorter or glued', () => {
    const key = `gsk_${fake.alnum(52)}`;
    expect(only(`GROQ_API_KEY=${key}\n`, key).rule).toBe('groq_api_key');
    // Issuer tokens carry no checksum to tell a made-up value from a real one, so a key that reads like a typed
    // sequence is still reported: a configuration's allow list, not the scanner, is the place to exempt a value.
    const typed = `gsk_${'AbCdEfGhIjKlMnOpQrSt'}${'0123456789'.repeat(2)}${'uvwxyzABCDEF'}`;
    expect(only(`GROQ_API_KEY=${typed}`, typed).rule).toBe('groq_api_key');
    for (const text of [
      `gsk_${fake.alnum(51)}`,
      `gsk_${fake.alnum(56)}`,
      `xgsk_${fake.alnum(52)}`,
      `gsk_${fake.alnum(30)}-${fake.alnum(21)}`,
    ]) {
      expect(scan(`value ${text} end`).findings, text).toEqual([]);
    }
  });

  it('reports a JSON Web Token (decodable header with alg) as high', () => {
    const jwt = fake.jwt();
    const finding = only(`{"id_token": "${jwt}"}`, jwt);
    expect(finding.rule).toBe('jwt');
    expect(finding.severity).toBe('high');
  });

  it('finds a token split by zero-width characters and spans it in the original text', () => {
    const token = fake.stripeLive();
    const split = `${token.slice(0, 12)}\u200b${token.slice(12, 20)}\u2060${token.slice(20)}`;
    const finding = only(`key: ${split} ok`, split);
    expect(finding.rule).toBe('stripe_secret_key');
    expect(finding.reason).toContain('invisible');
  });

  it('lowers a GitHub-shaped token whose checksum does not verify to medium', () => {
    const token = fake.github();
    const broken = `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`;
    const finding = only(broken, broken);
    expect(finding.severity).toBe('medium');
    expect(finding.confidence).toBeLessThan(0.6);
  });

  it('ignores look-alikes: no OpenAI marker, glued prefixes, wrong lengths, documentation examples', () => {
    const noMarker = `sk-proj-${fake.alnum(120)}`;
    const texts = [
      noMarker,
      `x${fake.stripeLive()}`,
      `sk_live_${fake.alnum(10)}`,
      `hf_${fake.alnum(20)}1`,
      'AKIAIOSFODNN7EXAMPLE',
      `eyJub3QiOiJqd3QifQ.${fake.alnum(20)}.${fake.alnum(20)}`,
      `eyJ${fake.alnum(30)}.${fake.alnum(30)}.${fake.alnum(30)}`,
      `pk_live_${fake.alnum(24)}`,
    ];
    for (const text of texts) expect(scan(`value ${text} end`).findings, text).toEqual([]);
  });
});

describe('secrets detector: formats without a prefix at their start', () => {
  it('finds Microsoft Entra ID client secrets by their Q~ marker', () => {
    const secret = `Xy.8Q~${fake.alnum(12)}~${fake.alnum(10)}_${fake.alnum(9)}`;
    const finding = only(`"the_value": "${secret}"`, secret);
    expect(finding.rule).toBe('azure_ad_client_secret');
    expect(finding.severity).toBe('critical');
    // Too short after the marker, or glued to a longer word: not one.
    expect(scan(`ref Xy.8Q~${fake.alnum(20)} end`).findings).toEqual([]);
    expect(scan(`abcXy.8Q~${fake.alnum(33)}`).findings.map((f) => f.rule)).not.toContain(
      'azure_ad_client_secret',
    );
  });

  it('finds a JWT wrapped in base64 once more', () => {
    const wrapped = Buffer.from(fake.jwt()).toString('base64');
    expect(wrapped.startsWith('ZXlK')).toBe(true);
    expect(only(`token blob: ${wrapped}`, wrapped).rule).toBe('jwt_base64');
    // base64 of other JSON text that starts like one is not.
    const notJwt = Buffer.from(
      'eyJ is how every JWT starts, and this sentence is not a token at all.',
    ).toString('base64');
    expect(scan(`note: ${notJwt}`).findings).toEqual([]);
  });
});

describe('secrets detector: private keys', () => {
  it('spans a PEM private key block from BEGIN to END', () => {
    const pem = privateKeyPem().trim();
    const finding = only(`here is my key:\n${pem}\nthanks`, pem);
    expect(finding.rule).toBe('private_key');
    expect(finding.severity).toBe('critical');
  });

  it('finds a key inside JSON with escaped newlines, and a truncated one', () => {
    const pem = privateKeyPem().trim();
    const escaped = pem.replace(/\n/g, '\\n');
    expect(only(`{"private_key": "${escaped}", "x": 1}`, escaped).rule).toBe('private_key');
    const truncated = pem.slice(0, pem.indexOf('-----END'));
    const { findings } = scan(truncated);
    expect(findings).toHaveLength(1);
    expect(findings[0]?.severity).toBe('critical');
  });

  it('ignores headers without key material and public keys', () => {
    expect(scan('-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----').findings).toEqual([]);
    expect(
      scan(
        `-----BEGIN PUBLIC KEY-----\n${fake.pick('ABCDEFabcdef0123456789+/', 200)}\n-----END PUBLIC KEY-----`,
      ).findings,
    ).toEqual([]);
  });
});

describe('secrets detector: connection URLs', () => {
  it('spans the password of a database URL (high)', () => {
    const password = fake.password();
    for (const scheme of ['postgres', 'postgresql', 'mysql', 'mongodb+srv', 'redis', 'amqp']) {
      const finding = only(`DATABASE_URL=${scheme}://app:${password}@db.internal:5432/app`, password);
      expect(finding.rule).toBe('database_url');
      expect(finding.severity).toBe('high');
    }
  });

  it('handles passwords containing @ and URLs inside markdown', () => {
    const password = `${fake.alnum(6)}@${fake.alnum(6)}`;
    expect(only(`[docs](https://deploy:${password}@files.example.net/x)`, password).rule).toBe(
      'url_credentials',
    );
  });

  it('reports a password for a documentation host (example.com, *.test) low: flagged, not masked, by default', () => {
    const password = fake.alnum(10);
    expect(only(`uri.parse('https://user:${password}@api.example.com:8080/x')`, password).severity).toBe(
      'low',
    );
    expect(only(`postgres://app:${password}@db.staging.test/app`, password).severity).toBe('low');
    expect(only(`https://deploy:${password}@files.corp-intranet.net/x`, password).severity).toBe('high');
  });

  it('reports chat webhook URLs whole', () => {
    const url = `https://hooks.slack.com/services/T${fake.pick('ABCDEFGHJK0123456789', 9)}/B${fake.pick('ABCDEFGHJK0123456789', 9)}/${fake.alnum(24)}`;
    expect(only(`post to ${url} please`, url).rule).toBe('webhook_url');
    const workflow = `https://hooks.slack.com/workflows/${fake.alnum(48)}`;
    expect(only(`trigger ${workflow} now`, workflow).rule).toBe('webhook_url');
    const teams = `https://contoso.webhook.office.com/webhookb2/${fake.hex(8)}-${fake.hex(4)}-${fake.hex(4)}-${fake.hex(4)}-${fake.hex(12)}@${fake.hex(8)}-${fake.hex(4)}-${fake.hex(4)}-${fake.hex(4)}-${fake.hex(12)}/IncomingWebhook/${fake.hex(32)}`;
    expect(only(`teams: ${teams}`, teams).rule).toBe('webhook_url');
  });

  it('ignores templates, documentation passwords, identical user and password, and weak local dev credentials', () => {
    const texts = [
      'postgres://user:password@db.example.com/app',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell variable reference is the input under test
      'mysql://root:${MYSQL_PASSWORD}@db:3306/app',
      'postgres://{user}:{password}@{host}/db',
      'mongodb://$(USER):$(PASS)@host/db',
      'redis://default:YOUR_PASSWORD@cache:6379',
      'postgres://postgres:postgres@localhost:5432/db',
      'mysql://admin:pass@localhost:3306/db',
      `https://user:${'x'.repeat(4)}@example.com`,
      'postgres://localhost:5432/app',
      'https://example.com:8443/path',
    ];
    for (const text of texts) expect(scan(text).findings, text).toEqual([]);
  });
});

describe('secrets detector: secret-named assignments', () => {
  it('spans a high-entropy value assigned to a secret name (medium)', () => {
    const value = fake.alnum(32);
    for (const text of [
      `API_SECRET=${value}`,
      `"client_secret": "${value}"`,
      `password: '${value}'`,
      `auth_token := "${value}"`,
      `{\\"access_key\\": \\"${value}\\"}`,
    ]) {
      const finding = only(text, value);
      expect(finding.rule).toBe('generic_secret');
      expect(finding.severity).toBe('medium');
    }
  });

  it('reads the assignment syntaxes of Make, PHP and Go, a name-value call and an XML element', () => {
    const value = fake.alnum(32);
    for (const text of [
      `DEPLOY_TOKEN ?= ${value}`,
      `API_TOKEN :::= "${value}"`,
      `$apiToken .= "${value}";`,
      `var serviceToken string = "${value}"`,
      `System.setProperty("SERVICE_API_KEY", "${value}");`,
      `<apiToken>\n  ${value}\n</apiToken>`,
    ]) {
      expect(only(text, value).rule, text).toBe('generic_secret');
    }
  });

  it('holds hex values to a hex-sized entropy, and lets token names carry shorter machine values', () => {
    // A random draw of 32 hex digits that measures 3.34 bits a character (under the 3.5 other values need).
    const hex = '9a50f8a8e9bb8bdb5eba456bf92d5d98';
    expect(only(`adobeToken = '${hex}'`, hex).rule).toBe('generic_secret');
    const short = 'q7Lk2ZwT9mXa4B';
    expect(only(`linkedin_token: "${short}"`, short).rule).toBe('generic_secret');
    expect(only(`const CLIENT_SECRET = "${short}";`, short).rule).toBe('generic_secret');
  });

  it('keeps the 20-character floor for passwords, a 3-bit floor for hex, and leaves non-secrets alone', () => {
    for (const text of [
      'db_password: MWYyZDFlMmU2N2Rm',
      'nextPageToken: "CAoQAAgHEgZxd2VydHk"',
      'maxTokens = "4096"',
      'checksum = "9a50f8a8e9bb8bdb5eba456bf92d5d98"',
      'apiToken = "c0ffee11d00dfacec0ffee22d00dface"',
      'tokenType: "BearerAuthHeader"',
    ]) {
      expect(scan(text).findings, text).toEqual([]);
    }
  });

  it('reads a password in a config key-value entry and on a curl command line', () => {
    const password = `Riv${fake.alnum(6)}erBank`;
    expect(only(`<add key="ClearTextPassword" value="${password}" />`, password).rule).toBe('generic_secret');
    const cli = `p${fake.alnum(10)}!9`;
    expect(only(`curl --user "deploy:${cli}" https://api.example.com/releases`, cli).rule).toBe(
      'cli_credentials',
    );
    expect(only(`curl -s \\\n  -u ci:${cli} https://api.example.com`, cli).rule).toBe('cli_credentials');
  });

  it('leaves key-value entries without secrets, variables and other -u flags alone', () => {
    for (const text of [
      '<add key="PageSize" value="50" />',
      '<add key="Password" value="changeme" />',
      'curl -u "$API_USER:$API_PASSWORD" https://api.example.com',
      'git push -u origin feature/login:main',
      'sort -u names.txt',
    ]) {
      expect(scan(text).findings, text).toEqual([]);
    }
  });

  it('leaves comparisons, lists of names and ordinary elements alone', () => {
    const value = fake.alnum(32);
    for (const text of [
      `if (token != "${value}") return;`,
      `["api_token", "refresh_token", "id_token"]`,
      `redact({ paths: ['user.password', 'data[0].secret'] })`,
      `<title>${value}</title>`,
      `<token/> and <token>`,
    ]) {
      expect(scan(text).findings, text).toEqual([]);
    }
  });

  it('takes a human password with punctuation, and the credential after an auth scheme', () => {
    const password = fake.password();
    expect(only(`mysql --user=admin --password=${password} --host=db`, password).rule).toBe('generic_secret');
    const opaque = fake.alnum(40);
    expect(only(`Authorization: Bearer ${opaque}`, opaque).rule).toBe('generic_secret');
  });

  it('names AWS secret access keys and Azure account keys (critical)', () => {
    const secret = fake.awsSecret();
    expect(only(`aws_secret_access_key = ${secret}`, secret).rule).toBe('aws_secret_access_key');
    const accountKey = fake.azureAccountKey();
    const conn = `DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=${accountKey};EndpointSuffix=core.windows.net`;
    const finding = only(conn, accountKey);
    expect(finding.rule).toBe('azure_storage_key');
    expect(finding.severity).toBe('critical');
  });

  it('ignores dummies, references, low-entropy values and names that hold no secret', () => {
    const texts = [
      'password=changeme',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell variable reference is the input under test
      'password: "${DB_PASSWORD}"',
      'api_key: "<your-api-key>"',
      `secret = "${'x'.repeat(24)}"`,
      'token: string;',
      'password = os.getenv("DB_PASSWORD")',
      'client_secret: process.env.CLIENT_SECRET',
      'max_tokens: 1024',
      `"nextPageToken": "${fake.alnum(32)}"`,
      `"private_key_id": "${fake.hex(40)}"`,
      'password: aaaaaaaaaaaaaaaaaaaaaaaaa',
      'token_path: /var/run/secrets/token',
      'PWD=/home/agent/project',
      'password: your_password_here',
      'the secret: we ship on Friday',
    ];
    for (const text of texts) expect(scan(text).findings, text).toEqual([]);
  });

  it('leaves code expressions, aliases and prose under secret names alone', () => {
    const texts = [
      'const sessionSecret = opts?.sessionSecret || readEnv("SESSION_SECRET") || null;',
      'const token = parts[1];\nconst specialToken = nextMatch![0];',
      'privateKey: KeyPairResult<Options["privateKeyEncoding"], KeyObject>;',
      '(credentials: ChannelCredentials, ...callCredentials: CallCredentials[]) => {}',
      'exports.AuthenticationMD5Password = AuthenticationMD5Password;',
      'def load_key(data: bytes, password: typing.Optional[bytes] = None) -> Key:',
      'commands: { token: "Manage organisation auth tokens", team: "Work with teams" }',
      'throw new PollError("expired_token", "Authentication timed out. Please try again.");',
      "const password = 'Password used to derive the key';",
    ];
    for (const text of texts) expect(scan(text).findings, text).toEqual([]);
  });

  it('still takes a quoted value with brackets or spaces that is no prose', () => {
    const password = `${fake.alnum(5)}[${fake.alnum(4)}]9!`;
    expect(only(`const password = "${password}";`, password).rule).toBe('generic_secret');
    const phrase = `Blue ${fake.alnum(6)} 7horse!`;
    expect(only(`password: "${phrase}"`, phrase).rule).toBe('generic_secret');
  });
});

describe('secrets detector: input handling', () => {
  it('reports every secret in a multi-segment request with its own location', () => {
    const first = fake.anthropic();
    const second = fake.stripeLive();
    const input = inputOf(
      segment(`key ${first}`, 'system', { partIndex: 0 }),
      segment('nothing here', 'message', { messageIndex: 1, partIndex: 0 }),
      segment(`{"key":"${second}"}`, 'tool_call_arguments', {
        messageIndex: 2,
        partIndex: 1,
        role: 'assistant',
      }),
    );
    const findings = secretsDetector.scan(input);
    expect(findings.map((f) => [f.location.kind, f.location.messageIndex, spanText(input, f)])).toEqual([
      ['system', -1, first],
      ['tool_call_arguments', 2, second],
    ]);
  });

  it('is quiet on prose, code and data without credentials', () => {
    const text = [
      'The quick brown fox jumps over the lazy dog. '.repeat(20),
      'const result = items.map((item) => item.value).filter(Boolean);',
      'https://en.wikipedia.org/wiki/Base64?action=raw',
      `data:image/png;base64,${fake.pick('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/', 400)}`,
      `sha512-${fake.pick('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/', 86)}==`,
      '550e8400-e29b-41d4-a716-446655440000',
    ].join('\n');
    expect(scan(text).findings).toEqual([]);
  });
});
