// Generated blocks inside hand-written pages: the text between a BEGIN and an END marker line.
// scripts/gen-docs.ts rewrites them; tests compare them with what the code generates.

/** `doc` with the text between the markers (markers included) replaced by `block`. */
export function spliceBlock(doc: string, begin: string, end: string, block: string, what: string, file = 'docs/aws.md'): string {
  const b = doc.indexOf(begin);
  const e = doc.indexOf(end);
  if (b < 0 || e < b) throw new Error(`${file} has no ${what} block: put the two lines\n${begin}\n${end}\nwhere the ${what} belongs`);
  return doc.slice(0, b) + block + doc.slice(e + end.length);
}

/** The block as it stands in `doc` (markers included), or "" when the markers are missing. */
export function currentBlock(doc: string, begin: string, end: string): string {
  const b = doc.indexOf(begin);
  const e = doc.indexOf(end);
  return b < 0 || e < b ? '' : doc.slice(b, e + end.length);
}
