// The routing engine as the control plane uses it: rule validation, dry runs and the snapshot types. The request
// pipeline imports engine.ts and attributes.ts directly (this entry also loads the tokenizer behind estimate.ts).
export { type CompiledActions, headerProblem } from './actions.js';
export { type RouteAttributes, type RouteContext, routeAttributesFrom } from './attributes.js';
export {
  type CapabilityNeeds,
  type CapableChoice,
  type CatalogueModel,
  cheapestCapable,
  createCatalogue,
  DEFAULT_OUTPUT_TOKENS,
  familyName,
  type ModelCatalogue,
  meetsNeeds,
  splitModelRef,
} from './catalogue.js';
export { BUILTIN_MODELS } from './catalogue-data.js';
export {
  CelConditionError,
  type CelPosition,
  type CompiledCondition,
  type ConditionEvalError,
  compileCondition,
  MAX_CONDITION_LENGTH,
  REQUEST_FIELDS,
} from './cel.js';
export {
  type CompiledRouting,
  type CompiledRule,
  compileRouting,
  DEFAULT_RULE_ID,
  decideRoute,
  emptyRouting,
  type RouteDecision,
  RoutingCompileError,
  type RuleEvaluation,
} from './engine.js';
export { estimateInputTokens } from './estimate.js';
export { compileSnapshotRouting } from './per-org.js';
export * from './types.js';
