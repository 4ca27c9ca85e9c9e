/** The languages the blog greets in; the first is the default. */
export const LANGUAGES = ['en', 'fr'] as const;
export type Language = (typeof LANGUAGES)[number];

const GREETINGS: Record<Language, string> = {
  en: 'Welcome to the demo blog!',
  fr: 'Bienvenue sur le blog de démonstration !',
};

/**
 * The best supported language of an `Accept-Language` header (`fr-CH, fr;q=0.9, en;q=0.8`): the
 * range with the highest quality whose primary tag is supported, else English.
 */
export function negotiateLanguage(header: string | string[] | undefined): Language {
  const value = Array.isArray(header) ? header.join(',') : (header ?? '');
  const ranges = value
    .split(',')
    .map((part, index) => {
      const [range = '', ...params] = part.trim().split(';');
      const q = params.map(p => /^\s*q\s*=\s*([0-9.]+)\s*$/i.exec(p)?.[1]).find(Boolean);
      return { tag: range.trim().toLowerCase().split('-')[0], q: q ? Number(q) : 1, index };
    })
    .filter(r => r.tag !== '' && r.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index);
  for (const { tag } of ranges) {
    if ((LANGUAGES as readonly string[]).includes(tag)) return tag as Language;
  }
  return LANGUAGES[0];
}

export function greeting(language: Language): string {
  return GREETINGS[language];
}
