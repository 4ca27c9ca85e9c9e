import { dependency, pathTag, urlTag } from '../keys.js';
import { invalidationTargets } from '../models.js';
import {
  edgeHeaderValue,
  edgeTag,
  edgeTags,
  MAX_EDGE_HEADER_BYTES,
  MAX_EDGE_TAG_LENGTH,
} from './edge-tags.js';

/** How each edge reads a header into tags. */
const SPLIT = {
  'Surrogate-Key': (value: string) => value.split(' '),
  xkey: (value: string) => value.split(/[ ,]+/),
  'Cache-Tag': (value: string) => value.split(',').map(tag => tag.trim()),
} as const;

describe('edgeTag', () => {
  it('keeps dependency names and lookup tags as they are', () => {
    expect(edgeTag('Post')).toBe('Post');
    expect(edgeTag(dependency.entity('Post', 42))).toBe('Post/42');
    expect(edgeTag(dependency.anyEntity('Post'))).toBe('Post/');
    const path = pathTag('/posts/42');
    expect(edgeTag(path)).toBe(path);
    expect(edgeTag(urlTag('/posts', '[]'))).toMatch(/^@url:[A-Za-z0-9_-]{22}$/);
  });

  it('gives ids with spaces, commas, quotes and non-ASCII one unambiguous tag without separators', () => {
    const ids = ['a b', 'a,b', 'a%2Cb', 'a"b', 'é', 'e\u0301', 'a b,c', '*', '~x', 'A', 'a'];
    const tags = ids.map(id => edgeTag(dependency.entity('Post', id)));
    for (const tag of tags) {
      expect(tag).toMatch(/^[\x21-\x7e]+$/);
      expect(tag).not.toMatch(/[ ,"]/);
    }
    expect(new Set(tags).size).toBe(ids.length);
    expect(edgeTag(dependency.entity('Post', 'a b'))).toBe('Post/a%20b');
    expect(edgeTag(dependency.entity('Post', 'a,b'))).toBe('Post/a%2Cb');
    expect(edgeTag(dependency.entity('Post', 'é'))).toBe('Post/%C3%A9');
  });

  it('hashes names that are too long or unsafe, the same way for a page and for its purge', () => {
    const long = `M${'x'.repeat(MAX_EDGE_TAG_LENGTH)}`;
    expect(edgeTag(long)).toMatch(/^~[A-Za-z0-9_-]{22}$/);
    expect(edgeTag(long)).toBe(edgeTag(long));
    expect(edgeTag(`${long}y`)).not.toBe(edgeTag(long));
    expect(edgeTag('x'.repeat(MAX_EDGE_TAG_LENGTH))).toBe('x'.repeat(MAX_EDGE_TAG_LENGTH));
    // Never produced by keys.ts, but never sent as they are either.
    expect(edgeTag('a b')).toMatch(/^~/);
    expect(edgeTag('a,b')).toMatch(/^~/);
    expect(edgeTag('~abc')).toMatch(/^~[A-Za-z0-9_-]{22}$/);
    expect(edgeTag('~abc')).not.toBe('~abc');
  });
});

describe('edgeTags', () => {
  it('lists each tag once, and a save names tags its pages carry', () => {
    const page = edgeTags([
      'Author',
      dependency.entity('Post', 42),
      dependency.anyEntity('Post'),
      'Author',
    ]);
    expect(page).toEqual(['Author', 'Post/42', 'Post/']);
    // Saving Post 42 reaches it; saving Post 7 does not; invalidating Post reaches it via Post/.
    const reaches = (targets: string[]) => edgeTags(targets).some(tag => page.includes(tag));
    expect(reaches(invalidationTargets('Post', 42))).toBe(true);
    expect(reaches(invalidationTargets('Post', 7))).toBe(false);
    expect(reaches(invalidationTargets('Post'))).toBe(true);
    expect(reaches(invalidationTargets('Comment'))).toBe(false);
  });
});

describe('edgeHeaderValue', () => {
  const tags = ['Post', 'Post/a%20b', 'Post/a%2Cb', '@path:abc'];

  it.each(Object.keys(SPLIT) as (keyof typeof SPLIT)[])(
    'is read back as the same tags by the edge behind %s',
    header => {
      const value = edgeHeaderValue(tags, header)!;
      expect(SPLIT[header](value)).toEqual(tags);
    },
  );

  it('separates tags with spaces for Surrogate-Key and xkey, commas for Cache-Tag', () => {
    expect(edgeHeaderValue(['a', 'b'], 'Surrogate-Key')).toBe('a b');
    expect(edgeHeaderValue(['a', 'b'], 'xkey')).toBe('a b');
    expect(edgeHeaderValue(['a', 'b'], 'Cache-Tag')).toBe('a,b');
    expect(edgeHeaderValue([], 'xkey')).toBeUndefined();
  });

  it('refuses values longer than the edge reads, rather than drop tags', () => {
    const many = Array.from({ length: 1_000 }, (_, i) => `Tag${i}/${'x'.repeat(20)}`);
    expect(edgeHeaderValue(many, 'xkey')).toBeUndefined();
    const fits = many.slice(0, 200);
    expect(edgeHeaderValue(fits, 'xkey')!.length).toBeLessThanOrEqual(MAX_EDGE_HEADER_BYTES.xkey);
    expect(edgeHeaderValue(many.slice(0, 400), 'Cache-Tag')).toBeDefined();
    expect(edgeHeaderValue(many.slice(0, 400), 'xkey')).toBeUndefined();
  });
});
