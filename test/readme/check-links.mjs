// The relative links of the README and docs/ pages: each must name a file that exists and, with
// an anchor into a Markdown file, one of its headings (GitHub's anchors: lower case, punctuation
// dropped, spaces as hyphens, `-1`, `-2` … for repeated headings). Used by check-readme.mjs.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';

/** The Markdown text without fenced code blocks and code spans, line numbers kept. */
function prose(markdown) {
  let fence = null;
  return markdown
    .split('\n')
    .map(line => {
      const open = /^\s*(`{3,}|~{3,})/.exec(line);
      if (open && (fence === null || line.trim() === fence)) {
        fence = fence === null ? open[1] : null;
        return '';
      }
      return fence === null ? line.replace(/`[^`]*`/g, 'code') : '';
    })
    .join('\n');
}

/** The anchors GitHub gives the headings of a Markdown text. */
export function anchors(markdown) {
  const seen = new Map();
  const result = new Set();
  for (const line of prose(markdown.replace(/`/g, '')).split('\n')) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!heading) continue;
    const slug = heading[1]
      .toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
      .replace(/ /g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    result.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return result;
}

/** Problems with the relative links of `documents`, each as `file:line - message`. */
export function checkLinks(documents, root) {
  const problems = [];
  const cache = new Map();
  const anchorsOf = path => {
    if (!cache.has(path)) cache.set(path, anchors(readFileSync(path, 'utf8')));
    return cache.get(path);
  };
  for (const document of documents) {
    const text = prose(readFileSync(document, 'utf8'));
    const where = relative(process.cwd(), document) || document;
    for (const match of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = match[1];
      if (/^[a-z][a-z+.-]*:/i.test(target)) continue; // http:, https:, mailto:
      const line = text.slice(0, match.index).split('\n').length;
      const [path, anchor] = target.split('#');
      const file = path === '' ? document : resolve(dirname(document), decodeURI(path));
      if (!file.startsWith(root) || !existsSync(file)) {
        problems.push(`${where}:${line} - link to ${target}: no such file`);
      } else if (anchor !== undefined && file.endsWith('.md') && !anchorsOf(file).has(anchor)) {
        problems.push(`${where}:${line} - link to ${target}: no such heading`);
      }
    }
  }
  return problems;
}
