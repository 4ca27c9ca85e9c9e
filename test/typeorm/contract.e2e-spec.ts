import { defineContract } from '../fixtures/orm/contract.js';
import { typeOrmIntegration } from '../fixtures/orm/typeorm.harness.js';

defineContract(typeOrmIntegration);
