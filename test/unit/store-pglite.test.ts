import { openDb } from '../../core/db.js';
import { defineStoreSuite } from '../helpers/store-suite.js';

defineStoreSuite('PGlite (embedded)', () => openDb({ inMemory: true }));
