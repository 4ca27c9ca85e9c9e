/**
 * An allowed host: a name (`example.com`, `.example.com` for it and its subdomains, `*`), a name
 * with a port (`localhost:3000`), or a RegExp.
 */
export type HostPattern = string | RegExp;

/** Whether a host is allowed by `pages.hosts`; `port` is `undefined` for a default one. */
export type HostCheck = (hostname: string | undefined, port?: string) => boolean;

/**
 * Builds the check of `pages.hosts` (Django's `ALLOWED_HOSTS`). A name without a port matches
 * default ports only: each port is a host of its own, which a client could otherwise use to
 * multiply the entries of every page. A RegExp is tested against `name` or `name:port`.
 * @throws TypeError naming an entry that is neither a non-empty name nor a RegExp.
 */
export function allowedHosts(patterns: readonly HostPattern[] | undefined): HostCheck | undefined {
  if (patterns === undefined) return undefined;
  if (!Array.isArray(patterns)) {
    throw new TypeError(
      `Invalid CacheModule option pages.hosts: ${String(patterns)}. Expected an array of host names or RegExps.`,
    );
  }
  /** `name` or `name:port`. */
  const exact = new Set<string>();
  /** `.domain` or `.domain:port`, split. */
  const suffixes: { suffix: string; port: string | undefined }[] = [];
  const expressions: RegExp[] = [];
  let any = false;
  for (const pattern of patterns) {
    if (pattern instanceof RegExp) {
      expressions.push(new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, '')));
    } else if (typeof pattern === 'string' && /^[^\s/]+$/.test(pattern)) {
      const name = pattern.toLowerCase();
      if (name === '*') any = true;
      else if (name.startsWith('.')) {
        const colon = name.indexOf(':');
        suffixes.push(
          colon === -1
            ? { suffix: name, port: undefined }
            : { suffix: name.slice(0, colon), port: name.slice(colon + 1) },
        );
      } else exact.add(name);
    } else {
      throw new TypeError(
        `Invalid CacheModule option pages.hosts entry: ${JSON.stringify(String(pattern))}. Expected a host name ('example.com', '.example.com', 'localhost:3000', '*') or a RegExp.`,
      );
    }
  }
  return (hostname, port) => {
    if (hostname === undefined || hostname === '') return false;
    if (any) return true;
    const name = hostname.toLowerCase();
    const spelled = port === undefined ? name : `${name}:${port}`;
    if (exact.has(spelled)) return true;
    for (const { suffix, port: listed } of suffixes) {
      if (listed === port && (name === suffix.slice(1) || name.endsWith(suffix))) return true;
    }
    for (const expression of expressions) if (expression.test(spelled)) return true;
    return false;
  };
}
