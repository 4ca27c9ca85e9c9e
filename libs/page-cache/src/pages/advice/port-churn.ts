import { splitHost } from '../key/canonical-request.js';
import type { PageRequest } from '../page-metadata.js';

/** Consecutive requests on new ports of one host name that make a churn. */
export const CHURN_REQUESTS = 4;

/**
 * Notices a server that listens on a new port for every request (supertest's
 * `request(app.getHttpServer())` after `app.init()`): the `Host` of consecutive requests names
 * the server's own port, each time a new one. A route keyed by the `Host` as sent then misses on
 * every request. Fed misses only (in that set-up every request of such a route is one): the hit
 * path never comes here.
 */
export class PortChurn {
  private name?: string;
  /** The ports of the last consecutive requests to `name`, all different (at most CHURN_REQUESTS). */
  private ports: string[] = [];

  /** Records a request; whether the last `CHURN_REQUESTS` requests each came on a new port. */
  seen(request: PageRequest): boolean {
    const host = request.headers.host;
    const local = (request as { socket?: { localPort?: unknown } }).socket?.localPort;
    if (typeof host !== 'string' || typeof local !== 'number') return false;
    const { name, port } = splitHost(host.toLowerCase());
    // Only the server's own port: a client cannot make one up (and a proxy's stays the same).
    if (port === undefined || port !== String(local)) return false;
    if (name !== this.name || this.ports.includes(port)) {
      this.name = name;
      this.ports = [port];
      return false;
    }
    if (this.ports.length === CHURN_REQUESTS) this.ports.shift();
    this.ports.push(port);
    return this.ports.length === CHURN_REQUESTS;
  }
}
