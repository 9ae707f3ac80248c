// What the control plane shares with extproc: the snapshot contract, secret sealing and key digests.
export { digestKey } from '../pipeline/auth.js';
export { type MasterKey, MasterKeyError, openSecret, parseMasterKey, sealSecret } from './sealed-secret.js';
export * from './snapshot.js';
