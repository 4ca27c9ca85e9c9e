import type { PageRequest } from '../page-metadata.js';
import { acceptIdentityOnly } from './identity-render.js';

const requestWith = (headers: Record<string, string>) => ({ headers }) as unknown as PageRequest;

describe('acceptIdentityOnly', () => {
  it('asks for identity until undone, then puts the header back as it was', () => {
    const request = requestWith({ 'accept-encoding': 'gzip, br', host: 'a' });
    const restore = acceptIdentityOnly(request);
    expect(request.headers['accept-encoding']).toBe('identity');
    restore();
    restore();
    expect(request.headers).toEqual({ 'accept-encoding': 'gzip, br', host: 'a' });
  });

  it('removes the header it added to a request without one', () => {
    const request = requestWith({ host: 'a' });
    const restore = acceptIdentityOnly(request);
    expect(request.headers['accept-encoding']).toBe('identity');
    restore();
    expect('accept-encoding' in request.headers).toBe(false);
  });

  it("changes Fastify's raw headers, which its request reads", () => {
    const raw = { headers: { 'accept-encoding': 'gzip' } };
    const request = {
      raw,
      get headers() {
        return raw.headers;
      },
    } as unknown as PageRequest;
    const restore = acceptIdentityOnly(request);
    expect(request.headers['accept-encoding']).toBe('identity');
    restore();
    expect(raw.headers['accept-encoding']).toBe('gzip');
  });
});
