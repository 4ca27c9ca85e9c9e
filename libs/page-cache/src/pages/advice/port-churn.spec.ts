import type { PageRequest } from '../page-metadata.js';
import { CHURN_REQUESTS, PortChurn } from './port-churn.js';

/** A request whose Host is `host`, received on the server's `localPort`. */
const on = (host: string, localPort: number) =>
  ({ headers: { host }, socket: { localPort } }) as unknown as PageRequest;

describe('PortChurn', () => {
  it('notices a server on a new port for each request', () => {
    const churn = new PortChurn();
    const seen = [40001, 40002, 40003, 40004, 40005].map(port =>
      churn.seen(on(`127.0.0.1:${port}`, port)),
    );
    expect(CHURN_REQUESTS).toBe(4);
    expect(seen).toEqual([false, false, false, true, true]);
  });

  it('ignores one port, two alternating, and ports a client made up', () => {
    const churn = new PortChurn();
    for (const port of [3000, 3000, 3001, 3000, 3001, 3000]) {
      expect(churn.seen(on(`example.com:${port}`, port))).toBe(false);
    }
    for (const port of [1, 2, 3, 4, 5])
      expect(churn.seen(on(`example.com:${port}`, 3000))).toBe(false);
    expect(churn.seen(on('example.com', 80))).toBe(false);
  });

  it('starts over on another host name', () => {
    const churn = new PortChurn();
    churn.seen(on('a.test:1', 1));
    churn.seen(on('a.test:2', 2));
    churn.seen(on('a.test:3', 3));
    expect(churn.seen(on('b.test:4', 4))).toBe(false);
  });
});
