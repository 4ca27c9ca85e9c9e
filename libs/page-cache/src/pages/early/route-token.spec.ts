import { routeToken } from './route-token.js';

describe('routeToken', () => {
  it("is Express's route or Fastify's route handler", () => {
    const route = {};
    const handler = () => undefined;
    expect(routeToken({ route })).toBe(route);
    expect(routeToken({ routeOptions: { handler } })).toBe(handler);
    expect(routeToken({})).toBeUndefined();
  });
});
