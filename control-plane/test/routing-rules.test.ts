// Routing rules, deployments and model overrides through the API: CEL checked at write time with extproc's compiler
// (position in the error), references between rules and deployments kept intact, audit rows, republication, RLS, and
// the snapshot extproc compiles.
import { compilePolicy } from '@acc/extproc/policy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileSnapshot } from '../src/policy/compile.js';
import {
  createOrg,
  createUser,
  errorOf,
  setupApp,
  type TestContext,
  type TestOrg,
  type TestUser,
} from './support/fixtures.js';

let ctx: TestContext;
let org: TestOrg;
let other: TestOrg;
let editor: TestUser;

const api = (
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
  url: string,
  payload?: object,
  headers = org.owner.bearer,
) => ctx.app.inject({ method, url: `/api/v1${url}`, headers, ...(payload ? { payload } : {}) });

const downgrade = {
  name: 'Downgrade near budget',
  priority: 10,
  condition: 'request.key_utilisation > 0.8 && request.model == "gpt-4o"',
  actions: [{ type: 'rewrite_model', model: 'gpt-4o-mini' }],
};

beforeAll(async () => {
  ctx = await setupApp();
  org = await createOrg(ctx.db);
  other = await createOrg(ctx.db);
  editor = await createUser(ctx.db, org.id, 'editor');
});
afterAll(async () => ctx?.close());

describe('routing rules', () => {
  it('creates, reads, lists in evaluation order, updates and deletes, with audit and republication', async () => {
    const published = ctx.published.length;
    const created = await api('POST', '/rules', downgrade);
    expect(created.statusCode, created.body).toBe(201);
    const rule = created.json();
    expect(rule).toMatchObject({ ...downgrade, orgId: org.id, enabled: true });
    expect((await api('GET', `/rules/${rule.id}`)).json()).toEqual(rule);

    const catchAll = await api('POST', '/rules', {
      name: 'Cap everything',
      condition: 'true',
      actions: [{ type: 'cap_max_tokens', maxTokens: 4096 }],
    });
    expect(catchAll.json().priority).toBe(100);
    const first = await api('POST', '/rules', {
      name: 'A first',
      priority: 10,
      condition: '"batch" in request.tags',
      actions: [{ type: 'deny', reason: 'no batch jobs here' }],
      enabled: false,
    });
    const list = (await api('GET', '/rules')).json().items.map((item: { name: string }) => item.name);
    expect(list).toEqual(['A first', 'Downgrade near budget', 'Cap everything']);

    const updated = await api('PATCH', `/rules/${rule.id}`, { priority: 200, enabled: false });
    expect(updated.statusCode).toBe(200);
    expect(updated.json()).toMatchObject({ priority: 200, enabled: false, condition: downgrade.condition });
    expect((await api('DELETE', `/rules/${first.json().id}`)).statusCode).toBe(204);
    expect((await api('GET', `/rules/${first.json().id}`)).statusCode).toBe(404);

    const { rows } = await ctx.db.pool.query(
      `SELECT action FROM audit_log WHERE org_id = $1 AND resource_type = 'routing_rule' ORDER BY id`,
      [org.id],
    );
    expect(rows.map((row) => row.action)).toEqual([
      'routing_rule.create',
      'routing_rule.create',
      'routing_rule.create',
      'routing_rule.update',
      'routing_rule.delete',
    ]);
    expect(ctx.published.slice(published)).toEqual(Array(5).fill(org.id));
  });

  it('refuses invalid CEL with the code and the position, and keeps nothing', async () => {
    const published = ctx.published.length;
    const bad = await api('POST', '/rules', {
      name: 'Broken',
      condition: 'request.team == "ml" &&\n  request.modle == "gpt-4o"',
      actions: [{ type: 'deny', reason: 'x' }],
    });
    expect(bad.statusCode).toBe(400);
    const error = errorOf(bad);
    expect(error.code).toBe('invalid_condition');
    expect(error.message).toMatch(/undefined field 'modle'/);
    expect(error.details).toMatchObject({
      field: 'condition',
      position: { line: 2, column: 10, offset: 33 },
    });

    const syntax = await api('POST', '/rules', {
      name: 'Syntax',
      condition: 'request.model ==',
      actions: downgrade.actions,
    });
    expect(errorOf(syntax)).toMatchObject({
      code: 'invalid_condition',
      details: { position: { line: 1, column: 15 } },
    });

    const rule = (await api('GET', '/rules')).json().items[0];
    const patch = await api('PATCH', `/rules/${rule.id}`, { condition: 'request.hour > "nine"' });
    expect(errorOf(patch).code).toBe('invalid_condition');
    expect((await api('GET', `/rules/${rule.id}`)).json().condition).toBe(rule.condition);
    expect(
      (await api('GET', '/rules')).json().items.map((item: { name: string }) => item.name),
    ).not.toContain('Broken');
    expect(ctx.published.length).toBe(published);
  });

  it('checks actions: their shape, the deployment named, the models cheapest_capable may choose', async () => {
    const invalid = [
      { type: 'teleport' },
      { type: 'add_headers', headers: { Authorization: 'Bearer x' } },
      { type: 'cap_max_tokens', maxTokens: 0 },
    ];
    for (const action of invalid) {
      const response = await api('POST', '/rules', { name: 'x', condition: 'true', actions: [action] });
      expect(response.statusCode, JSON.stringify(action)).toBe(400);
      expect(errorOf(response).code).toBe('validation_failed');
    }
    const reserved = await api('POST', '/rules', {
      name: 'x',
      condition: 'true',
      actions: [{ type: 'add_headers', headers: { 'x-api-key': 'sk-other' } }],
    });
    expect(errorOf(reserved)).toMatchObject({ details: { field: 'actions.0.headers.x-api-key' } });
    expect(errorOf(reserved).message).toMatch(/reserved/);

    const nowhere = await api('POST', '/rules', {
      name: 'x',
      condition: 'true',
      actions: [{ type: 'route', deployment: 'nowhere' }],
    });
    expect(errorOf(nowhere)).toMatchObject({
      code: 'validation_failed',
      details: { field: 'actions.0.deployment' },
    });

    const combined = await api('POST', '/rules', {
      name: 'x',
      condition: 'true',
      actions: [
        { type: 'deny', reason: 'no' },
        { type: 'rewrite_model', model: 'gpt-4o-mini' },
      ],
    });
    expect(errorOf(combined).details.field).toBe('actions');

    const cheapest = (models: string[]) =>
      api('POST', '/rules', {
        name: `cheapest ${models.join(' ')}`,
        condition: 'request.has_tools',
        actions: [{ type: 'cheapest_capable', allowedModels: models }],
      });
    const unknown = await cheapest(['gpt-4o-mini', 'house-model']);
    expect(errorOf(unknown)).toMatchObject({ details: { field: 'actions.0.allowedModels' } });
    expect(errorOf(unknown).message).toMatch(/'house-model' is not in the model catalogue/);

    expect(
      (
        await api('POST', '/routing/model-overrides', {
          provider: 'openai',
          model: 'house-model',
          contextWindow: 32000,
        })
      ).statusCode,
    ).toBe(201);
    expect(errorOf(await cheapest(['gpt-4o-mini', 'house-model'])).message).toMatch(/has no price/);
    await api('POST', '/pricing', {
      provider: 'openai',
      model: 'house-model',
      inputMtok: 0.1,
      outputMtok: 0.2,
    });
    expect((await cheapest(['gpt-4o-mini', 'house-model'])).statusCode).toBe(201);
  });

  it('lets editors and viewers read, only admins write; other orgs see nothing', async () => {
    const denied = await api('POST', '/rules', downgrade, editor.bearer);
    expect(denied.statusCode).toBe(403);
    expect((await api('GET', '/rules', undefined, editor.bearer)).statusCode).toBe(200);

    const rule = (await api('GET', '/rules')).json().items[0];
    expect((await api('GET', `/rules/${rule.id}`, undefined, other.owner.bearer)).statusCode).toBe(404);
    expect((await api('DELETE', `/rules/${rule.id}`, undefined, other.owner.bearer)).statusCode).toBe(404);
    expect((await api('GET', '/rules', undefined, other.owner.bearer)).json().items).toEqual([]);
    // RLS, not the WHERE clause: a tenant transaction of the other org sees no row at all.
    const rows = await ctx.db.withTenant(other.id, async (tx) => {
      const result = await tx.query('SELECT id FROM routing_rules UNION ALL SELECT id FROM model_overrides');
      return result.rows;
    });
    expect(rows).toEqual([]);
  });
});

describe('routing deployments', () => {
  it('CRUD, and no rename or delete while a rule names it', async () => {
    const created = await api('POST', '/routing/deployments', {
      name: 'azure-east',
      provider: 'openai',
      model: 'gpt-4o-prod',
      baseUrlCluster: 'azure_east',
    });
    expect(created.statusCode, created.body).toBe(201);
    const deployment = created.json();
    expect(deployment).toMatchObject({ name: 'azure-east', weight: 1, credentialRef: null, orgId: org.id });
    expect(
      (await api('POST', '/routing/deployments', { name: 'azure-east', provider: 'openai', model: 'x' }))
        .statusCode,
    ).toBe(409);
    expect(
      (await api('POST', '/routing/deployments', { name: 'has space', provider: 'openai', model: 'x' }))
        .statusCode,
    ).toBe(400);
    expect((await api('GET', `/routing/deployments/${deployment.id}`)).json()).toEqual(deployment);
    expect((await api('GET', '/routing/deployments?provider=openai')).json().items).toEqual([deployment]);

    const route = await api('POST', '/rules', {
      name: 'EU team to Azure',
      condition: 'request.team == "eu"',
      actions: [{ type: 'route', deployment: 'azure-east' }],
    });
    expect(route.statusCode, route.body).toBe(201);
    const fallback = await api('POST', '/rules', {
      name: 'Fallback to Azure',
      condition: 'true',
      actions: [{ type: 'fallback', chain: ['gpt-4.1', 'azure-east'] }],
    });
    expect(fallback.statusCode).toBe(201);

    const rename = await api('PATCH', `/routing/deployments/${deployment.id}`, { name: 'azure-west' });
    expect(rename.statusCode).toBe(409);
    expect(errorOf(rename).details.rules).toHaveLength(2);
    const kept = await api('PATCH', `/routing/deployments/${deployment.id}`, {
      weight: 5,
      credentialRef: 'azure-key',
    });
    expect(kept.json()).toMatchObject({ name: 'azure-east', weight: 5, credentialRef: 'azure-key' });
    expect((await api('DELETE', `/routing/deployments/${deployment.id}`)).statusCode).toBe(409);

    await api('DELETE', `/rules/${route.json().id}`);
    expect((await api('DELETE', `/routing/deployments/${deployment.id}`)).statusCode).toBe(409);
    await api('DELETE', `/rules/${fallback.json().id}`);
    expect((await api('DELETE', `/routing/deployments/${deployment.id}`)).statusCode).toBe(204);

    const { rows } = await ctx.db.pool.query(
      `SELECT action FROM audit_log WHERE org_id = $1 AND resource_type = 'routing_deployment' ORDER BY id`,
      [org.id],
    );
    expect(rows.map((row) => row.action)).toEqual([
      'routing_deployment.create',
      'routing_deployment.update',
      'routing_deployment.delete',
    ]);
  });
});

describe('model overrides', () => {
  it('CRUD with nullable fields and one override per provider:model', async () => {
    const created = await api('POST', '/routing/model-overrides', {
      provider: 'anthropic',
      model: 'claude-haiku-4-5',
      supportsJsonMode: true,
    });
    expect(created.statusCode, created.body).toBe(201);
    const override = created.json();
    expect(override).toMatchObject({
      contextWindow: null,
      supportsJsonMode: true,
      supportsTools: null,
      enabled: true,
    });
    const duplicate = await api('POST', '/routing/model-overrides', {
      provider: 'anthropic',
      model: 'claude-haiku-4-5',
    });
    expect(duplicate.statusCode).toBe(409);
    expect(errorOf(duplicate).details.field).toBe('model');

    const updated = await api('PATCH', `/routing/model-overrides/${override.id}`, {
      supportsJsonMode: null,
      enabled: false,
      contextWindow: 100000,
    });
    expect(updated.json()).toMatchObject({ supportsJsonMode: null, enabled: false, contextWindow: 100000 });
    expect((await api('GET', '/routing/model-overrides?provider=anthropic')).json().items).toHaveLength(1);
    expect(
      (await api('PATCH', `/routing/model-overrides/${override.id}`, { contextWindow: 0 })).statusCode,
    ).toBe(400);
    expect((await api('DELETE', `/routing/model-overrides/${override.id}`)).statusCode).toBe(204);
    expect((await api('GET', `/routing/model-overrides/${override.id}`)).statusCode).toBe(404);
  });
});

describe('OpenAPI', () => {
  it('documents the routing routes', async () => {
    const spec = (await ctx.app.inject({ url: '/api/docs/json' })).json();
    for (const path of [
      '/api/v1/rules',
      '/api/v1/rules/{id}',
      '/api/v1/routing/deployments/{id}',
      '/api/v1/routing/model-overrides/{id}',
      '/api/v1/routing/test',
    ]) {
      expect(spec.paths, path).toHaveProperty([path]);
    }
    expect(spec.components.schemas).toHaveProperty('RoutingRule');
  });
});

describe('snapshot', () => {
  it("carries every org's routing, and extproc compiles it", async () => {
    const snapshot = await ctx.db.withAdmin((tx) => compileSnapshot(tx, 99));
    const rules = snapshot.routing?.rules.filter((rule) => rule.orgId === org.id) ?? [];
    expect(rules.map((rule) => rule.name).sort()).toEqual(
      ['Cap everything', 'Downgrade near budget', 'cheapest gpt-4o-mini house-model'].sort(),
    );
    expect(snapshot.routing?.modelOverrides).toContainEqual({
      orgId: org.id,
      provider: 'openai',
      model: 'house-model',
      contextWindow: 32000,
      maxOutputTokens: null,
      capabilities: { tools: null, vision: null, jsonMode: null, reasoning: null },
      enabled: true,
    });
    const policy = compilePolicy(
      snapshot,
      { bootstrapKeys: [], providerKeys: { openai: null, anthropic: null }, priceOverrides: undefined },
      [],
    );
    // The downgrade rule is disabled (see above): two enabled rules remain.
    expect(policy.routing(org.id).rules.map((rule) => rule.name)).toEqual([
      'Cap everything',
      'cheapest gpt-4o-mini house-model',
    ]);
  });
});
