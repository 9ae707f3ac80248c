// Fake credentials for the detector tests, assembled at run time by a seeded generator: the repository holds no
// string that looks like a live key, and every run builds the same values. Checksums are computed here with
// node:zlib, independently of the detector's own implementation.
import { generateKeyPairSync } from 'node:crypto';
import { crc32 } from 'node:zlib';
import type { ScanInput, ScanSegment, SegmentKind } from '../../src/security/types.js';

const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const DIGITS = '0123456789';
const ALNUM = `${UPPER}${LOWER}${DIGITS}`;
const B64URL = `${ALNUM}-_`;
const B64 = `${ALNUM}+/`;
const BASE62 = `${DIGITS}${UPPER}${LOWER}`;

function base62(value: number, width: number): string {
  let out = '';
  for (let n = value; n > 0; n = Math.floor(n / 62)) out = BASE62[n % 62] + out;
  return out.padStart(width, '0');
}

function b64url(text: string): string {
  return Buffer.from(text).toString('base64url');
}

export class FakeCredentials {
  private state: number;

  constructor(seed = 1) {
    this.state = seed >>> 0 || 1;
  }

  /** xorshift32: deterministic, and good enough to look random to an entropy test. */
  private next(): number {
    let x = this.state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x >>> 0;
    return this.state;
  }

  pick(alphabet: string, length: number): string {
    let out = '';
    for (let i = 0; i < length; i++) out += alphabet[this.next() % alphabet.length];
    return out;
  }

  alnum(length: number): string {
    return this.pick(ALNUM, length);
  }

  hex(length: number): string {
    return this.pick('0123456789abcdef', length);
  }

  openAi(): string {
    const marker = Buffer.from('OpenAI').toString('base64');
    return `sk-proj-${this.pick(B64URL, 74)}${marker}${this.pick(B64URL, 74)}`;
  }

  anthropic(): string {
    return `sk-ant-api03-${this.pick(B64URL, 93)}AA`;
  }

  awsKeyId(): string {
    return `AKIA${this.pick(`${UPPER}234567`, 16)}`;
  }

  awsSecret(): string {
    return this.pick(B64, 40);
  }

  /** A GitHub-format token whose last six characters are the base62 CRC-32 of its random part. */
  github(prefix = 'ghp'): string {
    const random = this.alnum(30);
    return `${prefix}_${random}${base62(crc32(random), 6)}`;
  }

  npm(): string {
    const random = this.alnum(30);
    return `npm_${random}${base62(crc32(random), 6)}`;
  }

  jwt(): string {
    const header = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
    const payload = b64url(JSON.stringify({ sub: this.alnum(12), iat: 1_700_000_000 }));
    return `${header}.${payload}.${this.pick(B64URL, 43)}`;
  }

  slackBot(): string {
    return `xoxb-${this.pick(DIGITS, 11)}-${this.pick(DIGITS, 13)}-${this.alnum(24)}`;
  }

  stripeLive(): string {
    return `sk_live_${this.alnum(24)}`;
  }

  huggingFace(): string {
    return `hf_${this.pick(`${UPPER}${LOWER}`, 34)}`;
  }

  googleApiKey(): string {
    return `AIza${this.pick(B64URL, 35)}`;
  }

  azureAccountKey(): string {
    return `${this.pick(B64, 86)}==`;
  }

  onePassword(): string {
    const account = JSON.stringify({
      email: `${this.alnum(8)}@example.invalid`,
      secretKey: this.alnum(32),
      srpX: this.hex(64),
    });
    return `ops_${b64url(account)}`;
  }

  /** A person's password: letters, digits and punctuation. */
  password(): string {
    return `${this.pick(UPPER, 2)}${this.pick(LOWER, 4)}!${this.pick(DIGITS, 3)}*${this.pick(LOWER, 2)}`;
  }
}

/** A real private key, generated per run (EC: fast), as PEM text. */
export function privateKeyPem(): string {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

export function segment(
  text: string,
  kind: SegmentKind = 'message',
  extra: Partial<ScanSegment> = {},
): ScanSegment {
  return {
    kind,
    messageIndex: kind === 'system' ? -1 : 0,
    role: kind === 'tool_result' ? 'tool' : 'user',
    partIndex: 0,
    text,
    ...extra,
  };
}

export function inputOf(...segments: ScanSegment[]): ScanInput {
  return { segments, toolNames: [] };
}

/** The text a finding's span covers. */
export function spanText(
  input: ScanInput,
  finding: {
    location: { kind: string; messageIndex: number; partIndex: number; start: number; end: number };
  },
): string {
  const s = input.segments.find(
    (x) =>
      x.kind === finding.location.kind &&
      x.messageIndex === finding.location.messageIndex &&
      x.partIndex === finding.location.partIndex,
  );
  return s === undefined ? '' : s.text.slice(finding.location.start, finding.location.end);
}
