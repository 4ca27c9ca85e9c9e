import { defineContract } from '../fixtures/orm/contract.js';
import { mikroOrmIntegration } from '../fixtures/orm/mikro-orm.harness.js';

defineContract(mikroOrmIntegration);
