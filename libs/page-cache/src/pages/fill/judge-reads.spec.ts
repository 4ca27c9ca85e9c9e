import { describe, expect, it } from 'vitest';
import { judgeReads } from './judge-reads.js';

describe('judgeReads', () => {
  it('switches a route that read the URL as sent to keys of the request as sent', () => {
    const verdict = judgeReads('Posts.list', [{ kind: 'URL', name: 'url' }], false, 'off');
    expect(verdict.keyAsSent).toBe(true);
    expect(verdict.rejected).toBe('unkeyed-input');
    expect(verdict.warnings).toHaveLength(1);
    expect(verdict.warnings[0]!.key).toBe('Posts.list\u0000spelling');
    expect(verdict.warnings[0]!.message).toContain('keyed by the request as sent');
  });

  it('switches a route keyed as sent no further', () => {
    const verdict = judgeReads('Posts.list', [{ kind: 'host', name: 'hostname' }], true, 'off');
    expect(verdict).toMatchObject({ keyAsSent: false, warnings: [] });
    expect(verdict.rejected).toBeUndefined();
  });

  it('gives raw headers their own warning beside the switch, whatever the mode', () => {
    const verdict = judgeReads(
      'Posts.list',
      [{ kind: 'raw headers', name: 'rawHeaders' }],
      false,
      'warn',
    );
    expect(verdict.keyAsSent).toBe(true);
    expect(verdict.rejected).toBe('unkeyed-input');
    expect(verdict.warnings.map(w => w.message)).toEqual([
      expect.stringContaining('req.rawHeaders'),
    ]);
  });

  it('reports other unkeyed reads per pages.unkeyedInputs', () => {
    const reads = [{ kind: 'header' as const, name: 'x-tenant' }];
    expect(judgeReads('V', reads, false, 'off')).toEqual({ keyAsSent: false, warnings: [] });
    const warned = judgeReads('V', reads, false, 'warn');
    expect(warned.rejected).toBeUndefined();
    expect(warned.warnings[0]!.message).toContain("@VaryOn('x-tenant')");
    expect(judgeReads('V', reads, false, 'bypass').rejected).toBe('unkeyed-input');
  });
});
