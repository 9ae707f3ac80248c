// vitest globalSetup: ONE private PostgreSQL and ONE private Redis for the whole run (see support/services.ts),
// handed to the tests through `provide` (read them with `inject`, types in support/provided.d.ts).
/// <reference path="./support/provided.d.ts" />
import type { TestProject } from 'vitest/node';
import { startPostgres, startRedis } from './support/services.js';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = Date.now();
  const [postgres, redis] = await Promise.allSettled([startPostgres(), startRedis()]);
  if (postgres.status === 'rejected' || redis.status === 'rejected') {
    await Promise.all([
      postgres.status === 'fulfilled' ? postgres.value.stop() : undefined,
      redis.status === 'fulfilled' ? redis.value.stop() : undefined,
    ]);
    throw postgres.status === 'rejected' ? postgres.reason : (redis as PromiseRejectedResult).reason;
  }
  project.provide('DATABASE_ADMIN_URL', postgres.value.adminUrl);
  project.provide('DATABASE_URL', postgres.value.url);
  project.provide('REDIS_URL', redis.value.url);
  if (process.env.ACC_TEST_SERVICES_DEBUG) {
    console.log(`test services up in ${Date.now() - started} ms: ${postgres.value.url} ${redis.value.url}`);
  }
  return async () => {
    await Promise.all([postgres.value.stop(), redis.value.stop()]);
  };
}
