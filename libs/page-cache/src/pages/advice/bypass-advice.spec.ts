import { readFileSync } from 'node:fs';
import { adviceMessage, BYPASS_ADVICE, type AdvisedReason } from './bypass-advice.js';

const SECTION = '## Messages the page cache logs';

/** docs/pages.md's list of messages: reason → its item's text (backticks out, one line). */
function documented(): Map<string, string> {
  const page = readFileSync(new URL('../../../../../docs/pages.md', import.meta.url), 'utf8');
  const start = page.indexOf(SECTION);
  expect(start).toBeGreaterThan(-1);
  const end = page.indexOf('\n## ', start + SECTION.length);
  const items = new Map<string, string>();
  for (const item of page.slice(start, end).split('\n- ').slice(1)) {
    const reason = /^`([\w-]+)`/.exec(item)?.[1];
    if (reason) items.set(reason, item.split('\n\n')[0]!.replaceAll('`', '').replace(/\s+/g, ' '));
  }
  return items;
}

describe('BYPASS_ADVICE', () => {
  const reasons = Object.keys(BYPASS_ADVICE) as AdvisedReason[];

  it('is the list docs/pages.md gives, each fix word for word', () => {
    const docs = documented();
    expect([...docs.keys()].sort()).toEqual([...reasons].sort());
    for (const reason of reasons) expect(docs.get(reason)).toContain(BYPASS_ADVICE[reason]!.fix);
  });

  it('makes one line: route, what happened, reason, fix', () => {
    for (const reason of reasons) {
      const message = adviceMessage('PostsController.show', reason, 'x')!;
      expect(message).toMatch(new RegExp(`^PostsController\\.show: [^\\n]+ \\(${reason}\\)\\. `));
      expect(message.endsWith(BYPASS_ADVICE[reason]!.fix)).toBe(true);
    }
  });

  it('says nothing of a reason that is no mistake, or without the detail its message needs', () => {
    expect(adviceMessage('A.b', 'status')).toBeUndefined();
    expect(adviceMessage('A.b', 'head')).toBeUndefined();
    expect(adviceMessage('A.b', 'vary')).toBeUndefined();
    expect(adviceMessage('A.b', 'set-cookie')).toContain('(set-cookie)');
  });
});
