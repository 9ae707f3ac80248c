// What the control plane shares with extproc: the snapshot contract, secret sealing and key digests.
export { digestKey } from '../pipeline/auth.js';
export {
  type ActionOverrides,
  type ActionTable,
  applyOverrides,
  DEFAULT_SECURITY_POLICY,
  DETECTOR_IDS,
  type FailMode,
  POLICY_LIMITS,
  parseSecurityOverrides,
  type RunawaySettings,
  SECURITY_ACTIONS,
  SEVERITIES,
  type SecurityAction,
  SecurityPolicyError,
  type SecurityPolicyOverrides,
  type SecurityPolicySettings,
  type SnapshotSecurityPolicy,
} from '../security/policy.js';
export type { Severity } from '../security/types.js';
export { type CompiledPolicy, compilePolicy, PolicyCompileError } from './compiled-policy.js';
export { type MasterKey, MasterKeyError, openSecret, parseMasterKey, sealSecret } from './sealed-secret.js';
export * from './snapshot.js';
