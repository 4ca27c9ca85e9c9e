/** Kinds of keys in a namespace, told apart by name (the key layouts of `keys.ts`). */
export type KeyKind = 'page' | 'value' | 'index' | 'token' | 'lock' | 'fill' | 'internal';

/** The kind of a key given without its namespace. */
export function kindOfKey(key: string): KeyKind {
  if (key.startsWith('page:')) return 'page';
  if (!key.startsWith('~')) return 'value';
  if (key.startsWith('~idx:')) return 'index';
  if (key.startsWith('~gen:')) return 'token';
  if (key.startsWith('~lock:')) return 'lock';
  if (key.startsWith('~fill:')) return 'fill';
  return 'internal';
}

/** The view of a page key (`page:{view}:{models}:{digest}`), e.g. `PostsController.show`. */
export function viewOfPageKey(key: string): string {
  const end = key.indexOf(':', 5);
  return end === -1 ? key.slice(5) : key.slice(5, end);
}
