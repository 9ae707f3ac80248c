// Conditions compile once with every mistake reported at its position, and evaluate per request without throwing.
import { describe, expect, it } from 'vitest';
import { celRequestOf } from '../../src/routing/attributes.js';
import {
  bindRequest,
  CelConditionError,
  compileCondition,
  MAX_CONDITION_LENGTH,
  positionAt,
} from '../../src/routing/cel.js';
import { attrs } from './fixtures.js';

function compileError(source: string): CelConditionError {
  try {
    compileCondition(source);
  } catch (error) {
    if (error instanceof CelConditionError) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(source)} not to compile`);
}

const evaluate = (source: string, overrides: Parameters<typeof attrs>[0] = {}) =>
  compileCondition(source).evaluate(bindRequest(celRequestOf(attrs(overrides))));

describe('compileCondition', () => {
  it('reports syntax errors with line, column and offset', () => {
    const error = compileError('request.model == "gpt-4o" &&');
    expect(error.reason).toMatch(/^syntax error: /);
    expect(error.position).toEqual({ line: 1, column: 27, offset: 26 });
    expect(error.message).toContain('line 1, column 27');

    const multiLine = compileError('request.stream &&\n  request.hour >');
    expect(multiLine.position.line).toBe(2);
    expect(multiLine.position.offset).toBe(multiLine.position.column - 1 + 'request.stream &&\n'.length);

    expect(compileError('').position).toEqual({ line: 1, column: 1, offset: 0 });
  });

  it('refuses unknown fields, variables and functions where they are written', () => {
    const field = compileError('request.stream && request.modle == "x"');
    expect(field.reason).toMatch(/undefined field 'modle'/);
    expect(field.position).toEqual({ line: 1, column: 26, offset: 25 });
    expect(compileError('req.model == "x"').reason).toMatch(/undeclared reference to 'req'/);
    expect(compileError('request.model.shout()').reason).toMatch(/function 'shout'/);
    expect(compileError('has(request.nope)').reason).toMatch(/undefined field 'nope'/);
  });

  it('refuses type mismatches and non-bool conditions', () => {
    const mismatch = compileError('request.model > 3');
    expect(mismatch.reason).toBe("found no matching overload for '_>_' applied to '(string, int)'");
    expect(mismatch.position.column).toBe(15);
    expect(compileError('request.team == null').reason).toMatch(/_==_/);
    expect(compileError('request.max_tokens + 0.5 > 1').reason).toMatch(
      /'_\+_' applied to '\(int, double\)'/,
    );
    expect(compileError('request.tags["x"] == "y"').reason).toMatch(/_\[_\]/);
    expect(compileError('request.model').reason).toMatch(/must be a bool, this one is a string/);
    expect(compileError('99999999999999999999 > 1').reason).toMatch(/out of range/);
    expect(compileError('x'.repeat(MAX_CONDITION_LENGTH + 1)).reason).toMatch(/longer than/);
  });

  it('accepts the documented attributes, macros and the strings extension', () => {
    const sources = [
      'request.key_utilisation > 0.8',
      'request.team_utilisation >= 1',
      "request.budget['key'] > 0.5 || request.budget.team > 0.5",
      "'batch' in request.tags && request.tags.exists(t, t.startsWith('ba'))",
      'request.hour >= 9 && request.hour < 17 && request.weekday in [1, 2, 3, 4, 5]',
      'request.estimated_input_tokens > 100000 || request.max_tokens > 4096',
      'request.has_tools && !request.has_images && !request.stream && !request.json_mode && !request.reasoning',
      'request.model.lowerAscii().matches("^gpt-4o") && request.provider == "openai"',
      'request.endpoint == "chat_completions" && request.key != "" && request.team_id != "" && request.agent != ""',
      'size(request.tags.filter(t, t != "x")) > 0',
    ];
    for (const source of sources) expect(() => compileCondition(source), source).not.toThrow();
  });
});

describe('evaluate', () => {
  it('binds every attribute with its CEL type', () => {
    expect(evaluate('request.model == "gpt-4o" && request.provider == "openai"')).toBe(true);
    expect(
      evaluate('request.team == "ml" && request.team_id == "team-ml" && request.agent == "planner"'),
    ).toBe(true);
    expect(evaluate('request.estimated_input_tokens == 1000 && request.max_tokens == 500')).toBe(true);
    expect(evaluate('request.hour == 10 && request.weekday == 2')).toBe(true);
    expect(evaluate('request.key_utilisation == 0.1 && request.budget.team == 0.2')).toBe(true);
    expect(evaluate("'batch' in request.tags")).toBe(true);
    expect(evaluate("'batch' in request.tags", { tags: [] })).toBe(false);
  });

  it('reads unknown people and an unset max_tokens as empty values, not errors', () => {
    const anonymous = { team: null, teamId: null, key: null, agent: null, maxTokens: null, utilisation: {} };
    expect(evaluate('request.team == "" && request.agent == "" && request.max_tokens == 0', anonymous)).toBe(
      true,
    );
    expect(evaluate('request.key_utilisation == 0.0 && request.team_utilisation == 0.0', anonymous)).toBe(
      true,
    );
  });

  it('returns evaluation errors (with the position when known) instead of throwing', () => {
    const missing = evaluate("request.budget['org'] > 0.5");
    expect(missing).toMatchObject({ message: expect.stringMatching(/org/) });
    const division = evaluate('request.estimated_input_tokens / (request.max_tokens - 500) > 1');
    expect(division).toMatchObject({ message: expect.stringMatching(/divide by zero/) });
    expect(evaluate('int(request.model) > 1')).toMatchObject({ message: expect.stringMatching(/gpt-4o/) });
  });
});

describe('positionAt', () => {
  it('counts lines and columns from 1 and clamps the offset', () => {
    expect(positionAt('ab\ncd', 4)).toEqual({ line: 2, column: 2, offset: 4 });
    expect(positionAt('ab', 99)).toEqual({ line: 1, column: 3, offset: 2 });
  });
});
