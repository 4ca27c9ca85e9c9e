import { closestName, didYouMean } from './did-you-mean.js';

describe('closestName', () => {
  const names = ['Article', 'Author', 'Comment', 'Tag'];

  it('finds a swap of two letters, a missing or extra letter, and another letter case', () => {
    expect(closestName('Artcile', names)).toBe('Article');
    expect(closestName('Artile', names)).toBe('Article');
    expect(closestName('Commentt', names)).toBe('Comment');
    expect(closestName('article', names)).toBe('Article');
    expect(closestName('TAG', names)).toBe('Tag');
  });

  it('suggests nothing for a name far from every candidate, or for the name itself', () => {
    expect(closestName('Settings', names)).toBeUndefined();
    expect(closestName('Tug', ['Tag'])).toBe('Tag');
    expect(closestName('Tux', ['Tag'])).toBeUndefined();
    expect(closestName('Article', names)).toBeUndefined();
  });

  it('words the suggestion, or nothing', () => {
    expect(didYouMean('Autor', names)).toBe(" Did you mean 'Author'?");
    expect(didYouMean('Settings', names)).toBe('');
  });
});
