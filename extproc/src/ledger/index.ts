// What the control plane shares with extproc about the ledger: the stream/endpoint names and the record's shape.
export type { RequestRecord } from '../pipeline/request-record.js';
export type { Usage } from '../providers/types.js';
export * from './constants.js';
