import { hostFromProxy } from './host-from-proxy.js';

describe('hostFromProxy', () => {
  const request = (host: string | undefined, reported: { host?: string; hostname?: string }) => ({
    method: 'GET',
    url: '/',
    headers: { host },
    ...reported,
  });

  it('is false when the framework reports the Host header (any case, port or not)', () => {
    expect(hostFromProxy(request('Example.com:8080', { host: 'example.com:8080' }))).toBe(false);
    expect(hostFromProxy(request('example.com:8080', { hostname: 'example.com' }))).toBe(false);
    expect(hostFromProxy(request('example.com', {}))).toBe(false);
  });

  it('is true when the host came from a proxy header, or there is no Host', () => {
    expect(hostFromProxy(request('example.com', { host: 'evil.example' }))).toBe(true);
    expect(hostFromProxy(request('example.com:80', { hostname: 'evil.example' }))).toBe(true);
    expect(hostFromProxy(request(undefined, { hostname: 'example.com' }))).toBe(true);
  });
});
