import { defineContract } from '../fixtures/orm/contract.js';
import { prismaIntegration } from '../fixtures/orm/prisma.harness.js';

defineContract(prismaIntegration);
