/**
 * Reads code blocks out of README.md so tests run the README's code as written
 * (the quick start test here, and the packaging test from an installed tarball).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's README.md (this file lives in test/helpers/). */
export const README_PATH = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'README.md');

/**
 * The first ```<lang> fenced block under the `## <heading>` section of a markdown text
 * (the section ends at the next `## ` heading; `###` subsections belong to it).
 * Throws an Error naming the heading when the section or the block is missing.
 */
export function markdownBlock(markdown: string, heading: string, lang = 'ts'): string {
  const lines = markdown.split(/\r?\n/);
  const start = lines.findIndex((l) => l.trim() === `## ${heading}`);
  if (start < 0) throw new Error(`README: no "## ${heading}" section`);
  let i = start + 1;
  while (i < lines.length && !lines[i].startsWith('## ')) {
    if (lines[i].trim() === '```' + lang) {
      const end = lines.findIndex((l, j) => j > i && l.trim() === '```');
      if (end < 0) throw new Error(`README: unclosed \`\`\`${lang} block under "## ${heading}"`);
      return lines.slice(i + 1, end).join('\n') + '\n';
    }
    i++;
  }
  throw new Error(`README: no \`\`\`${lang} block under "## ${heading}"`);
}

/** The README's quick start: the first ```ts block under "## Quick start", as written. */
export function readmeQuickStart(readmePath: string = README_PATH): string {
  return markdownBlock(readFileSync(readmePath, 'utf8'), 'Quick start', 'ts');
}
