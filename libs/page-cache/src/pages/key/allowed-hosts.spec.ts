import { allowedHosts } from './allowed-hosts.js';

describe('allowedHosts', () => {
  it('is absent without the option', () => {
    expect(allowedHosts(undefined)).toBeUndefined();
  });

  it('matches names case-insensitively, subdomains after a dot, RegExps and *', () => {
    const allowed = allowedHosts(['example.com', '.example.org', /^api\d\.test$/])!;
    for (const host of [
      'example.com',
      'EXAMPLE.com',
      'example.org',
      'a.b.example.org',
      'api1.test',
    ]) {
      expect(allowed(host), host).toBe(true);
    }
    for (const host of [
      'evil.test',
      'example.com.evil',
      'notexample.org',
      'api12.test',
      '',
      undefined,
    ]) {
      expect(allowed(host), String(host)).toBe(false);
    }
    expect(allowedHosts(['*'])!('anything.example')).toBe(true);
  });

  it('takes a port other than the default only where it is listed with the name', () => {
    const allowed = allowedHosts(['example.com', 'localhost:3000', '.example.org:8443', /^x:9$/])!;
    expect(allowed('example.com')).toBe(true);
    expect(allowed('example.com', '8080')).toBe(false);
    expect(allowed('localhost', '3000')).toBe(true);
    expect(allowed('LOCALHOST', '3000')).toBe(true);
    expect(allowed('localhost')).toBe(false);
    expect(allowed('localhost', '3001')).toBe(false);
    expect(allowed('a.example.org', '8443')).toBe(true);
    expect(allowed('a.example.org')).toBe(false);
    expect(allowed('x', '9')).toBe(true);
    expect(allowed('x')).toBe(false);
    expect(allowedHosts(['*'])!('any.test', '1234')).toBe(true);
  });

  it('refuses entries that are not names or RegExps, naming them', () => {
    expect(() => allowedHosts(['ok.test', 'bad host'])).toThrow(/pages\.hosts entry: "bad host"/);
    expect(() => allowedHosts([''])).toThrow(TypeError);
    expect(() => allowedHosts('example.com' as unknown as string[])).toThrow(/pages\.hosts/);
  });
});
