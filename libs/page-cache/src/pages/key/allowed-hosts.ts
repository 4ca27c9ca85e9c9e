/** An allowed host: a name (`example.com`, `.example.com` for it and its subdomains, `*`) or a RegExp. */
export type HostPattern = string | RegExp;

/** Whether a host name is allowed by `pages.hosts`; always true without the option. */
export type HostCheck = (hostname: string | undefined) => boolean;

/**
 * Builds the check of `pages.hosts`, Django's `ALLOWED_HOSTS`: names match case-insensitively and
 * without the port; a leading dot matches the domain and every subdomain; a RegExp is tested
 * against the lower-case host name.
 * @throws TypeError naming an entry that is neither a non-empty name nor a RegExp.
 */
export function allowedHosts(patterns: readonly HostPattern[] | undefined): HostCheck | undefined {
  if (patterns === undefined) return undefined;
  if (!Array.isArray(patterns)) {
    throw new TypeError(
      `Invalid CacheModule option pages.hosts: ${String(patterns)}. Expected an array of host names or RegExps.`,
    );
  }
  const exact = new Set<string>();
  const suffixes: string[] = [];
  const expressions: RegExp[] = [];
  let any = false;
  for (const pattern of patterns) {
    if (pattern instanceof RegExp) {
      expressions.push(new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, '')));
    } else if (typeof pattern === 'string' && /^[^\s/]+$/.test(pattern)) {
      const name = pattern.toLowerCase();
      if (name === '*') any = true;
      else if (name.startsWith('.')) suffixes.push(name);
      else exact.add(name);
    } else {
      throw new TypeError(
        `Invalid CacheModule option pages.hosts entry: ${JSON.stringify(String(pattern))}. Expected a host name ('example.com', '.example.com', '*') or a RegExp.`,
      );
    }
  }
  return hostname => {
    if (hostname === undefined || hostname === '') return false;
    if (any) return true;
    const name = hostname.toLowerCase();
    if (exact.has(name)) return true;
    for (const suffix of suffixes) {
      if (name === suffix.slice(1) || name.endsWith(suffix)) return true;
    }
    for (const expression of expressions) if (expression.test(name)) return true;
    return false;
  };
}

/** The host name (no port) of a `Host` header value. */
export function hostnameOf(host: string): string {
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1);
  const colon = host.indexOf(':');
  return colon === -1 ? host : host.slice(0, colon);
}
