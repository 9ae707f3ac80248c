// Static checking of a parsed condition. @bufbuild/cel parses and evaluates but does not export its type checker,
// so a condition naming an unknown field, calling an unknown function or comparing a string with a number would
// only fail per request. This checker catches those at write time: it infers a type for every node from the
// declared variables and from the environment's own function signatures (env.funcs), and treats `dyn` as
// compatible with anything, so it never rejects what the evaluator could run.
import type { CelEnv, CelType, parse } from '@bufbuild/cel';

type ParsedExpr = ReturnType<typeof parse>;
type Expr = ParsedExpr['expr'];
type Call = Extract<Expr['exprKind'], { case: 'callExpr' }>['value'];
type Comprehension = Extract<Expr['exprKind'], { case: 'comprehensionExpr' }>['value'];
type ConstantKind = Extract<Expr['exprKind'], { case: 'constExpr' }>['value']['constantKind'];

export type CheckType =
  | { kind: 'dyn' }
  | { kind: 'scalar'; name: string }
  | { kind: 'list'; element: CheckType }
  | { kind: 'map'; key: CheckType; value: CheckType }
  /** A message-like value: `fields` when its fields are declared here (the request), else any proto object. */
  | { kind: 'object'; name: string; fields?: ReadonlyMap<string, CheckType> };

export const DYN: CheckType = { kind: 'dyn' };
export const scalar = (name: string): CheckType => ({ kind: 'scalar', name });
export const BOOL = scalar('bool');
export const INT = scalar('int');
export const UINT = scalar('uint');
export const DOUBLE = scalar('double');
export const STRING = scalar('string');
const BYTES = scalar('bytes');
const NULL = scalar('null_type');
const TYPE = scalar('type');
export const listOf = (element: CheckType): CheckType => ({ kind: 'list', element });
export const mapOf = (key: CheckType, value: CheckType): CheckType => ({ kind: 'map', key, value });

/** A checking failure at the node `exprId` (positions come from the parser's source info). */
export class CheckFailure extends Error {
  constructor(
    message: string,
    readonly exprId: bigint,
  ) {
    super(message);
    this.name = 'CheckFailure';
  }
}

function fromCel(type: CelType): CheckType {
  switch (type.kind) {
    case 'scalar':
      return type.scalar === 'dyn' ? DYN : scalar(type.scalar);
    case 'list':
      return listOf(fromCel(type.element));
    case 'map':
      return mapOf(fromCel(type.key), fromCel(type.value));
    default:
      return { kind: 'object', name: type.name };
  }
}

export function typeName(type: CheckType): string {
  switch (type.kind) {
    case 'dyn':
      return 'dyn';
    case 'scalar':
      return type.name;
    case 'list':
      return `list(${typeName(type.element)})`;
    case 'map':
      return `map(${typeName(type.key)}, ${typeName(type.value)})`;
    default:
      return type.fields ? 'request' : type.name;
  }
}

/** Whether a value of type `arg` may be passed where `param` is expected. */
function assignable(param: CheckType, arg: CheckType): boolean {
  if (param.kind === 'dyn' || arg.kind === 'dyn') return true;
  if (param.kind === 'scalar' && arg.kind === 'scalar') return param.name === arg.name;
  if (param.kind === 'list' && arg.kind === 'list') return assignable(param.element, arg.element);
  if (param.kind === 'map' && arg.kind === 'map') {
    return assignable(param.key, arg.key) && assignable(param.value, arg.value);
  }
  if (param.kind === 'object' && arg.kind === 'object') return param.name === arg.name;
  return false;
}

const NUMERIC = new Set(['int', 'uint', 'double']);

/** Equality and `in` accept any two values of one family; CEL compares int, uint and double with each other. */
function comparable(a: CheckType, b: CheckType): boolean {
  if (a.kind === 'dyn' || b.kind === 'dyn') return true;
  if (a.kind === 'scalar' && b.kind === 'scalar') {
    return a.name === b.name || (NUMERIC.has(a.name) && NUMERIC.has(b.name));
  }
  if (a.kind === 'list' && b.kind === 'list') return comparable(a.element, b.element);
  if (a.kind === 'map' && b.kind === 'map') return comparable(a.key, b.key) && comparable(a.value, b.value);
  return a.kind === 'object' && b.kind === 'object' && a.name === b.name;
}

function same(a: CheckType, b: CheckType): boolean {
  return typeName(a) === typeName(b);
}

/** The common type of list elements, map values or conditional branches; dyn when they differ. */
function join(types: CheckType[]): CheckType {
  const first = types[0];
  if (first === undefined) return DYN;
  return types.every((t) => same(t, first)) ? first : DYN;
}

const TYPE_IDENTS = new Set([
  'bool',
  'int',
  'uint',
  'double',
  'string',
  'bytes',
  'list',
  'map',
  'null_type',
  'type',
]);
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

type Scope = ReadonlyMap<string, CheckType>;

export class ConditionChecker {
  constructor(
    private readonly env: CelEnv,
    private readonly variables: Scope,
  ) {}

  /** The condition's result type; throws CheckFailure naming the node at fault. */
  check(expr: Expr): CheckType {
    return this.visit(expr, this.variables);
  }

  private visit(expr: Expr, scope: Scope): CheckType {
    const kind = expr.exprKind;
    switch (kind.case) {
      case 'constExpr':
        return this.constant(kind.value.constantKind, expr.id);
      case 'identExpr': {
        const found = scope.get(kind.value.name);
        if (found) return found;
        if (TYPE_IDENTS.has(kind.value.name)) return TYPE;
        throw new CheckFailure(`undeclared reference to '${kind.value.name}'`, expr.id);
      }
      case 'selectExpr': {
        const { operand, field, testOnly } = kind.value;
        if (!operand) throw new CheckFailure('selection without an operand', expr.id);
        const type = this.select(this.visit(operand, scope), field, expr.id);
        return testOnly ? BOOL : type;
      }
      case 'callExpr':
        return this.call(kind.value, expr.id, scope);
      case 'listExpr':
        return listOf(join(kind.value.elements.map((element) => this.visit(element, scope))));
      case 'structExpr': {
        if (kind.value.messageName !== '') {
          throw new CheckFailure(`unknown message type '${kind.value.messageName}'`, expr.id);
        }
        const keys: CheckType[] = [];
        const values: CheckType[] = [];
        for (const entry of kind.value.entries) {
          if (entry.keyKind.case === 'mapKey') keys.push(this.visit(entry.keyKind.value, scope));
          if (entry.value) values.push(this.visit(entry.value, scope));
        }
        return mapOf(join(keys), join(values));
      }
      case 'comprehensionExpr':
        return this.comprehension(kind.value, expr.id, scope);
      default:
        throw new CheckFailure('empty expression', expr.id);
    }
  }

  private constant(constant: ConstantKind, id: bigint): CheckType {
    switch (constant.case) {
      case 'boolValue':
        return BOOL;
      case 'int64Value':
        if (constant.value < INT64_MIN || constant.value > INT64_MAX) {
          throw new CheckFailure('integer literal out of range', id);
        }
        return INT;
      case 'uint64Value':
        if (constant.value < 0n || constant.value > UINT64_MAX) {
          throw new CheckFailure('unsigned integer literal out of range', id);
        }
        return UINT;
      case 'doubleValue':
        return DOUBLE;
      case 'stringValue':
        return STRING;
      case 'bytesValue':
        return BYTES;
      case 'nullValue':
        return NULL;
      default:
        throw new CheckFailure('unsupported literal', id);
    }
  }

  private select(operand: CheckType, field: string, id: bigint): CheckType {
    switch (operand.kind) {
      case 'dyn':
        return DYN;
      case 'map':
        if (!assignable(operand.key, STRING)) {
          throw new CheckFailure(`map with ${typeName(operand.key)} keys has no field '${field}'`, id);
        }
        return operand.value;
      case 'object': {
        if (!operand.fields) return DYN;
        const type = operand.fields.get(field);
        if (!type) {
          const known = [...operand.fields.keys()].join(', ');
          throw new CheckFailure(`undefined field '${field}' (request has: ${known})`, id);
        }
        return type;
      }
      default:
        throw new CheckFailure(`type '${typeName(operand)}' has no fields (selecting '${field}')`, id);
    }
  }

  private call(call: Call, id: bigint, scope: Scope): CheckType {
    const target = call.target ? this.visit(call.target, scope) : undefined;
    const args = call.args.map((arg) => this.visit(arg, scope));
    const name = call.function;
    const mismatch = () =>
      new CheckFailure(
        `found no matching overload for '${name}' applied to '${target ? `${typeName(target)}.` : ''}(${args
          .map(typeName)
          .join(', ')})'`,
        id,
      );

    // Operators the evaluator implements itself rather than through env.funcs.
    switch (name) {
      case '_&&_':
      case '_||_':
      case '@not_strictly_false':
        if (!args.every((arg) => assignable(BOOL, arg))) throw mismatch();
        return BOOL;
      case '_?_:_': {
        const [condition, ...branches] = args;
        if (condition === undefined || !assignable(BOOL, condition)) throw mismatch();
        return join(branches);
      }
      case '_[_]':
        return this.index(args, mismatch);
      case '_==_':
      case '_!=_':
        if (args.length !== 2 || !comparable(args[0] as CheckType, args[1] as CheckType)) throw mismatch();
        return BOOL;
      case '@in': {
        const [element, container] = args;
        if (element && container?.kind === 'list' && !comparable(element, container.element))
          throw mismatch();
        if (element && container?.kind === 'map' && !comparable(element, container.key)) throw mismatch();
        break;
      }
    }

    const group = this.env.funcs.find(name);
    if (!group) throw new CheckFailure(`undeclared reference to function '${name}'`, id);
    const results: CheckType[] = [];
    for (const overload of group) {
      if ((overload.target === undefined) !== (target === undefined)) continue;
      if (overload.target && target && !assignable(fromCel(overload.target), target)) continue;
      if (overload.arguments.length !== args.length) continue;
      if (!overload.arguments.every((param, i) => assignable(fromCel(param), args[i] as CheckType))) continue;
      results.push(fromCel(overload.result));
    }
    if (results.length === 0) throw mismatch();
    return join(results);
  }

  private index(args: CheckType[], mismatch: () => CheckFailure): CheckType {
    const [container, key] = args;
    if (container === undefined || key === undefined) throw mismatch();
    if (container.kind === 'dyn') return DYN;
    if (container.kind === 'list') {
      if (!assignable(INT, key) && !assignable(UINT, key)) throw mismatch();
      return container.element;
    }
    if (container.kind === 'map') {
      if (!comparable(container.key, key)) throw mismatch();
      return container.value;
    }
    throw mismatch();
  }

  private comprehension(node: Comprehension, id: bigint, scope: Scope): CheckType {
    if (!node.iterRange || !node.accuInit || !node.loopStep || !node.result) {
      throw new CheckFailure('incomplete comprehension', id);
    }
    const range = this.visit(node.iterRange, scope);
    let first: CheckType;
    let second: CheckType;
    if (range.kind === 'list') [first, second] = [INT, range.element];
    else if (range.kind === 'map') [first, second] = [range.key, range.value];
    else if (range.kind === 'dyn') [first, second] = [DYN, DYN];
    else
      throw new CheckFailure(`cannot iterate over a value of type '${typeName(range)}'`, node.iterRange.id);

    const accu = this.visit(node.accuInit, scope);
    const inner = new Map(scope);
    // One variable: list elements or map keys; two (`all(i, v, …)`): index or key, then the value.
    if (node.iterVar2 === '') inner.set(node.iterVar, range.kind === 'list' ? second : first);
    else {
      inner.set(node.iterVar, first);
      inner.set(node.iterVar2, second);
    }
    inner.set(node.accuVar, accu);
    if (node.loopCondition) this.visit(node.loopCondition, inner);
    this.visit(node.loopStep, inner);
    const after = new Map(scope);
    after.set(node.accuVar, accu);
    return this.visit(node.result, after);
  }
}
