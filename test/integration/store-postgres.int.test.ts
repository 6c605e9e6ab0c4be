import { afterAll, beforeAll, describe } from 'vitest';
import { openDb } from '../../core/db.js';
import { defineStoreSuite } from '../helpers/store-suite.js';
import { postgresAvailable, startTestPostgres, type TestPostgres } from './helpers/postgres.js';

describe.skipIf(!postgresAvailable())('real PostgreSQL', () => {
  let server: TestPostgres;
  beforeAll(async () => {
    server = await startTestPostgres();
  });
  afterAll(() => server?.destroy());

  defineStoreSuite('PostgreSQL', async () => openDb({ url: await server.createDatabase('store_suite') }));
});
