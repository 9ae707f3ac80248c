// AES-256-GCM sealing of provider credentials under the master key (ACC_MASTER_KEY). The control plane seals when
// a credential is stored; extproc opens when it loads a snapshot. The key id (a digest of the key, not the key) is
// stored beside each secret so a rotation can re-seal everything and both generations can be read meanwhile.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import type { SealedSecret } from './snapshot.js';

export interface MasterKey {
  id: string;
  key: Buffer;
}

export class MasterKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MasterKeyError';
  }
}

/** ACC_MASTER_KEY: 32 bytes as 64 hex characters or base64. */
export function parseMasterKey(text: string, variable = 'ACC_MASTER_KEY'): MasterKey {
  const trimmed = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(trimmed)
    ? Buffer.from(trimmed, 'hex')
    : Buffer.from(trimmed, 'base64');
  if (key.length !== 32) {
    throw new MasterKeyError(
      `${variable} must be 32 bytes, as 64 hex characters or base64 (openssl rand -hex 32)`,
    );
  }
  return { id: createHash('sha256').update(key).digest('hex').slice(0, 16), key };
}

export function sealSecret(plaintext: string, master: MasterKey): SealedSecret {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', master.key, iv);
  // The key id is authenticated too, so a ciphertext cannot be replayed under another key's label.
  cipher.setAAD(Buffer.from(master.id, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return {
    keyId: master.id,
    iv: iv.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
    ciphertext: ciphertext.toString('base64'),
  };
}

/** Opens a sealed secret with whichever of `keys` sealed it; throws MasterKeyError if none did or it was altered. */
export function openSecret(sealed: SealedSecret, keys: readonly MasterKey[]): string {
  const master = keys.find((candidate) => candidate.id === sealed.keyId);
  if (!master)
    throw new MasterKeyError(`secret was sealed with master key ${sealed.keyId}, which is not configured`);
  try {
    const decipher = createDecipheriv('aes-256-gcm', master.key, Buffer.from(sealed.iv, 'base64'));
    decipher.setAAD(Buffer.from(master.id, 'utf8'));
    decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
    return Buffer.concat([
      decipher.update(Buffer.from(sealed.ciphertext, 'base64')),
      decipher.final(),
    ]).toString('utf8');
  } catch {
    throw new MasterKeyError(`secret sealed with master key ${sealed.keyId} failed authentication`);
  }
}
