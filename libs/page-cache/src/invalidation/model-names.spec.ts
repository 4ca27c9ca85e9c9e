import { ModelNames, nearlyEqualNames } from './model-names.js';

describe('ModelNames', () => {
  const entities = new Set(['Article', 'Author']);

  it('refuses a near miss of an entity, naming the value, the place and the entity', () => {
    const names = new ModelNames(
      () => entities,
      () => undefined,
    );
    expect(() => names.check('Artcile', 'set models')).toThrow(
      "Unknown model 'Artcile' in set models: no entity of the app's ORM is named so, and no save would ever clear what is built from it. Did you mean 'Article'?",
    );
  });

  it('accepts entities quietly, and says a name far from every entity once', () => {
    const warnings: string[] = [];
    const names = new ModelNames(
      () => entities,
      message => warnings.push(message),
    );
    names.check('Article', 'here');
    names.check('Settings', 'here');
    names.check('Settings', 'there');
    expect(warnings).toEqual([
      "Model 'Settings' (here) is no entity of the app's ORM: what is built from it is cleared only by invalidate('Settings') or events that name it.",
    ]);
  });

  it('checks nothing while no ORM integration announced entities', () => {
    const warnings: string[] = [];
    const names = new ModelNames(
      () => undefined,
      message => warnings.push(message),
    );
    expect(() => names.check('Artcile', 'here')).not.toThrow();
    expect(warnings).toEqual([]);
  });

  it('reads the entities again until a name is settled (an ORM initialized late)', () => {
    let known: Set<string> | undefined;
    const names = new ModelNames(
      () => known,
      () => undefined,
    );
    names.check('Artcile', 'here');
    known = entities;
    expect(() => names.check('Artcile', 'here')).toThrow(/Did you mean 'Article'/);
  });
});

describe('nearlyEqualNames', () => {
  it('says each pair of names that nearly equal each other once', () => {
    const declared = new Map([
      ['Article', 'a'],
      ['Artcile', 'b'],
      ['Settings', 'c'],
    ]);
    expect(nearlyEqualNames(declared)).toEqual([
      "Models 'Article' (a) and 'Artcile' (b) nearly equal each other: if one is a typo, what is built from it is never cleared by saves of the other.",
    ]);
  });
});
