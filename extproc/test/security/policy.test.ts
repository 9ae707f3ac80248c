// Policy resolution: team over org over the gateway base over the built-in default, validated with one set of
// rules, compiled once per snapshot into per-scope detector lists.
import { describe, expect, it } from 'vitest';
import { ConfigError, loadExtprocConfig } from '../../src/config.js';
import { compilePolicy, PolicyCompileError } from '../../src/policy/compiled-policy.js';
import { type PolicySnapshot, SNAPSHOT_SCHEMA } from '../../src/policy/snapshot.js';
import { openaiAdapter } from '../../src/providers/index.js';
import { compileSecurityPolicies } from '../../src/security/compiled-security.js';
import {
  applyOverrides,
  DEFAULT_SECURITY_POLICY,
  parseSecurityOverrides,
  patternProblem,
  SecurityPolicyError,
  type SnapshotSecurityPolicy,
} from '../../src/security/policy.js';
import { buildScanInput } from '../../src/security/registry.js';

const ORG = 'org-1';
const OTHER = 'org-2';
const TEAM = 'team-1';

describe('applyOverrides', () => {
  it('overrides only what is given, per detector and severity, and never shares state', () => {
    const settings = applyOverrides(DEFAULT_SECURITY_POLICY, {
      actions: { secrets: { high: 'block' } },
      deniedTools: ['shell'],
      runaway: { windowSeconds: 30 },
    });
    expect(settings.actions.secrets).toEqual({ ...DEFAULT_SECURITY_POLICY.actions.secrets, high: 'block' });
    expect(settings.actions.prompt_injection).toEqual(DEFAULT_SECURITY_POLICY.actions.prompt_injection);
    expect(settings.runaway).toEqual({ ...DEFAULT_SECURITY_POLICY.runaway, windowSeconds: 30 });
    settings.deniedTools.push('more');
    settings.actions.exfiltration.low = 'block';
    expect(DEFAULT_SECURITY_POLICY.deniedTools).toEqual([]);
    expect(DEFAULT_SECURITY_POLICY.actions.exfiltration.low).toBe('flag');
  });

  it('tells an explicit "no allow list" (null) from "inherit" (absent)', () => {
    const restricted = applyOverrides(DEFAULT_SECURITY_POLICY, { allowedTools: ['search'] });
    expect(applyOverrides(restricted, {}).allowedTools).toEqual(['search']);
    expect(applyOverrides(restricted, { allowedTools: null }).allowedTools).toBeNull();
  });
});

describe('parseSecurityOverrides', () => {
  it.each([
    [{ actions: { secrets: { high: 'nuke' } } }, 'actions.secrets.high'],
    [{ actions: { mind_reading: {} } }, 'actions.mind_reading'],
    [{ deniedArgumentPatterns: ['fine', '(unclosed'] }, 'deniedArgumentPatterns.1'],
    [{ deniedArgumentPatterns: ['(a)\\1'] }, 'deniedArgumentPatterns.0'],
    [{ deniedArgumentPatterns: ['(?<=curl )https?://'] }, 'deniedArgumentPatterns.0'],
    [{ deniedArgumentPatterns: ['x', '(?!safe)rm'] }, 'deniedArgumentPatterns.1'],
    [{ deniedArgumentPatterns: ['(?:a{1,50}){1,50}b{1000}'] }, 'deniedArgumentPatterns.0'],
    [{ deniedArgumentPatterns: ['\\p{L}+'] }, 'deniedArgumentPatterns.0'],
    [{ deniedArgumentPatterns: ['(?:rm)?'] }, 'deniedArgumentPatterns.0'],
    [{ deniedTools: ['has space'] }, 'deniedTools.0'],
    [{ runaway: { windowSeconds: 0 } }, 'runaway.windowSeconds'],
    [{ failMode: 'sideways' }, 'failMode'],
    [{ surprise: true }, 'surprise'],
  ])('refuses %j at %s', (value, field) => {
    const error = (() => {
      try {
        parseSecurityOverrides(value);
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(error).toBeInstanceOf(SecurityPolicyError);
    expect((error as SecurityPolicyError).field).toBe(field);
  });

  it('accepts patterns that would backtrack catastrophically in RegExp: the policy runs them in linear time', () => {
    const patterns = ['(a+)+$', '(x|xx)*y', '^(\\w+\\s?)+$'];
    expect(parseSecurityOverrides({ deniedArgumentPatterns: patterns }).deniedArgumentPatterns).toEqual(
      patterns,
    );
    for (const pattern of patterns) expect(patternProblem(pattern)).toBeNull();
    expect(patternProblem('(\\w+)=\\1')).toMatch(/backreferences/);
  });

  it('ACC_SECURITY_POLICY is validated at start', () => {
    const config = loadExtprocConfig({ ACC_SECURITY_POLICY: '{"failMode":"closed"}' });
    expect(config.securityPolicy).toEqual({ failMode: 'closed' });
    expect(() => loadExtprocConfig({ ACC_SECURITY_POLICY: '{"failMode":"maybe"}' })).toThrow(ConfigError);
    expect(() => loadExtprocConfig({ ACC_SECURITY_POLICY: '{not json' })).toThrow(ConfigError);
  });
});

describe('compileSecurityPolicies', () => {
  const policies: SnapshotSecurityPolicy[] = [
    { orgId: ORG, teamId: TEAM, actions: { secrets: { low: 'block' } } },
    { orgId: ORG, teamId: null, actions: { secrets: { low: 'redact' }, malicious_code: { low: 'off' } } },
  ];
  const base = applyOverrides(DEFAULT_SECURITY_POLICY, { failMode: 'closed' });

  it('resolves team over org over the gateway base, whatever order the snapshot lists them in', () => {
    const compiled = compileSecurityPolicies(policies, base);
    const team = compiled.forRequest(ORG, TEAM);
    const org = compiled.forRequest(ORG, 'team-without-policy');
    const gateway = compiled.forRequest(OTHER, null);
    expect(team.scope).toBe('team');
    expect(team.settings.actions.secrets.low).toBe('block');
    expect(team.settings.actions.malicious_code.low).toBe('off');
    expect(team.settings.failMode).toBe('closed');
    expect(org.scope).toBe('org');
    expect(org.settings.actions.secrets.low).toBe('redact');
    expect(gateway.scope).toBe('gateway');
    expect(gateway.settings).toEqual(base);
    expect(compiled.forRequest(null, null)).toBe(gateway);
    // Another org's team id never picks up this org's team policy.
    expect(compiled.forRequest(OTHER, TEAM).scope).toBe('gateway');
    // Resolved once: the same object for every request.
    expect(compiled.forRequest(ORG, TEAM)).toBe(team);
  });

  it('leaves out detectors switched off at every severity, and the response side keeps only output detectors', () => {
    const compiled = compileSecurityPolicies(
      [
        {
          orgId: ORG,
          teamId: null,
          actions: { prompt_injection: { low: 'off', medium: 'off', high: 'off', critical: 'off' } },
        },
      ],
      base,
    );
    const ids = compiled.forRequest(ORG, null).requestDetectors.map((d) => d.id);
    expect(ids).not.toContain('prompt_injection');
    expect(ids).toEqual(expect.arrayContaining(['secrets', 'exfiltration', 'malicious_code', 'tool_abuse']));
    expect(
      compiled
        .forRequest(ORG, null)
        .responseDetectors.map((d) => d.id)
        .sort(),
    ).toEqual(['exfiltration', 'secrets']);
  });

  it('builds each scope its own tool-abuse detector from its lists', () => {
    const compiled = compileSecurityPolicies(
      [
        { orgId: ORG, teamId: null, deniedTools: ['delete_*'] },
        { orgId: ORG, teamId: TEAM, deniedTools: [] },
      ],
      base,
    );
    const request = openaiAdapter.parseRequest({
      model: 'gpt-4o-mini',
      messages: [
        { role: 'user', content: 'clean up' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 'c', type: 'function', function: { name: 'delete_repository', arguments: '{}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'c', content: 'done' },
      ],
    });
    const input = buildScanInput(request);
    const toolFindings = (orgTeam: string | null) =>
      compiled
        .forRequest(ORG, orgTeam)
        .requestDetectors.filter((d) => d.id === 'tool_abuse')
        .flatMap((d) => d.scan(input));
    expect(toolFindings(null).length).toBeGreaterThan(0);
    expect(toolFindings(TEAM)).toEqual([]);
  });

  it('an unusable policy refuses the whole snapshot, naming it', () => {
    const snapshot: PolicySnapshot = {
      schema: SNAPSHOT_SCHEMA,
      version: 2,
      publishedAt: new Date().toISOString(),
      orgs: [],
      teams: [],
      keys: [],
      providerCredentials: [],
      pricing: [],
      security: [{ orgId: ORG, teamId: TEAM, deniedArgumentPatterns: ['(?<=x)y'] }],
    };
    const defaults = {
      bootstrapKeys: [],
      providerKeys: { openai: null, anthropic: null },
      priceOverrides: undefined,
    };
    expect(() => compilePolicy(snapshot, defaults, [])).toThrow(PolicyCompileError);
    expect(() => compilePolicy(snapshot, defaults, [])).toThrow(
      /team team-1 of org org-1: deniedArgumentPatterns\.0/,
    );
  });
});
