// A YAML syntax error as a person can act on it: the line and column where the mistake is (not
// where the parser gave up: an unclosed quote is reported at its opening quote, not at the end of
// the file), that line with a caret under the column, and a complete sentence saying what to fix.
import { Lexer, type YAMLError } from 'yaml';

export interface YamlProblem {
  /** 1-based line and column of the mistake. */
  readonly line: number;
  readonly col: number;
  /** What is wrong and what to change: a complete sentence. */
  readonly message: string;
}

/**
 * The first of the parser's errors, explained (later ones usually follow from it). The text is
 * the file's text, the errors those of yaml's parseDocument for it (at least one).
 */
export function explainYamlError(text: string, errors: readonly YAMLError[]): YamlProblem {
  const error = errors[0]!;
  const lines = text.split('\n');
  const at = error.linePos?.[0] ?? { line: 1, col: 1 };
  // The parser may report one mistake as several errors starting at the same place; the widest
  // range shows which lines it spans (a key's value that goes on to a deeper-indented line).
  const end = { line: Math.max(...errors.filter((e) => e.pos[0] === error.pos[0]).map((e) => e.linePos?.[1]?.line ?? at.line)) };
  const lineText = (n: number) => (lines[n - 1] ?? '').replace(/\r$/, '');
  const firstCol = (n: number) => lineText(n).search(/\S/) + 1 || 1;
  const raw = parserSentence(error.message);
  const tabAt = lineText(at.line).search(/^[ ]*\t/) < 0 ? -1 : lineText(at.line).indexOf('\t');
  if (tabAt >= 0 && tabAt < firstCol(at.line) - 1) {
    return { line: at.line, col: tabAt + 1, message: 'a tab indents this line, and YAML allows only spaces for indentation: replace the tab with spaces.' };
  }

  switch (error.code) {
    case 'MISSING_CHAR': {
      const quote = /closing (["'])/.exec(raw)?.[1];
      if (quote) {
        const open = unclosedQuote(text, quote);
        const where = open === undefined ? at : position(text, open);
        const inside = quote === '"' ? 'write \\" for a " inside the value' : "write '' for a ' inside the value";
        return {
          ...where,
          message: `the ${quote === '"' ? 'double' : 'single'} quote opened here is never closed: add the closing ${quote} at the end of the value (${inside}).`,
        };
      }
      if (/need to be followed by map values/.test(raw)) return implicitKey(at.line, at.col, end.line);
      break;
    }
    case 'BAD_INDENT': {
      const flow = /^Flow (sequence|map)/.exec(raw)?.[1];
      if (flow) {
        const [openChar, closeChar] = flow === 'sequence' ? ['[', ']'] : ['{', '}'];
        const open = unclosedBracket(text, openChar!);
        const where = open === undefined ? at : position(text, open);
        return {
          ...where,
          message: `the ${flow === 'sequence' ? 'list' : 'mapping'} opened with ${openChar} here is never closed: add ${closeChar} after its last item (a value that goes on over several lines must be indented deeper than its key).`,
        };
      }
      const col = firstCol(at.line);
      const above = previousContentLine(lines, at.line);
      if (above === undefined || firstCol(above) === col) {
        return {
          line: at.line,
          col,
          message:
            'this line is not lined up with the other keys of its mapping: check its indentation and that of the lines above it (the keys of one mapping start at the same column, indented with spaces).',
        };
      }
      return {
        line: at.line,
        col,
        message: `this line starts at column ${col}, which lines it up with no key above it (line ${above} starts at column ${firstCol(above)}): indent it by exactly as many spaces as the other keys of its mapping.`,
      };
    }
    case 'BAD_SCALAR_START':
      return {
        line: at.line,
        col: at.col,
        message: `${raw.replace(/^Plain value/, 'an unquoted value')}: put the value in quotes if the character belongs to it, or remove it.`,
      };
    case 'TAB_AS_INDENT':
      return { line: at.line, col: at.col, message: 'a tab indents this line, and YAML allows only spaces for indentation: replace the tab with spaces.' };
    case 'DUPLICATE_KEY': {
      const col = firstCol(at.line);
      const key = /^\s*("[^"]*"|'[^']*'|[^:#]+?)\s*:/.exec(lineText(at.line))?.[1] ?? '';
      const first = firstOccurrence(lines, at.line, key);
      return {
        line: at.line,
        col,
        message: `the key ${JSON.stringify(unquote(key))} appears twice in the same mapping${first ? ` (first on line ${first})` : ''}: keep one of them.`,
      };
    }
    case 'BLOCK_AS_IMPLICIT_KEY':
    case 'MULTILINE_IMPLICIT_KEY':
    case 'UNEXPECTED_TOKEN':
      return implicitKey(at.line, at.col, end.line);
    case 'BAD_DQ_ESCAPE':
      return {
        line: at.line,
        col: at.col,
        message: `${raw.replace(/^Invalid escape sequence (\S+)$/, '"$1" is not an escape YAML knows inside double quotes')}: write \\\\ for a backslash, or put the value in single quotes, which keep backslashes as they are.`,
      };
    case 'MULTIPLE_DOCS':
      return {
        line: at.line,
        col: at.col,
        message: 'a "---" line starts a second document, and the spec is one document: remove the "---" line (and whatever below it belongs elsewhere).',
      };
  }
  return {
    line: at.line,
    col: at.col,
    message: `${raw}: check this line and the one above for a missing quote, bracket or colon, and indent with spaces only.`,
  };

  /** A "key: value" line the parser could not read as one. */
  function implicitKey(line: number, col: number, endLine: number): YamlProblem {
    const t = lineText(line);
    if (/^\s*- /.test(t.slice(col - 1)) || /^\s*-$/.test(t)) {
      return {
        line,
        col: firstCol(line),
        message:
          'a list item where a "key: value" line is expected: put the list under the key it belongs to ("key:" on the line above, then the items indented below it, each as "- item").',
      };
    }
    if (!hasColon(t)) return { line, col: firstCol(line), message: 'this line has no colon: write it as "key: value" (with a space after the colon).' };
    const deeper = endLine > line ? nextContentLine(lines, line) : undefined;
    if (deeper !== undefined && deeper <= endLine && firstCol(deeper) > firstCol(line)) {
      return {
        line: deeper,
        col: firstCol(deeper),
        message: `this line is indented deeper than line ${line}, which already has a value: line it up with the key on line ${line} (column ${firstCol(line)}) if it belongs to the same mapping.`,
      };
    }
    return {
      line,
      col,
      message:
        'a second "key: value" on the same line: put the inner key on its own line, indented under its parent key, or quote the whole value if its colon belongs to it.',
    };
  }
}

/** The lines printed under the message: the offending line, numbered, and a caret under the column. */
export function excerpt(text: string, p: Pick<YamlProblem, 'line' | 'col'>): string[] {
  const source = (text.split('\n')[p.line - 1] ?? '').replace(/\r$/, '');
  const number = String(p.line);
  // The caret's indent copies the line's tabs, so it stays under the column where tabs are wide.
  const pad = source.slice(0, p.col - 1).replace(/[^\t]/g, ' ');
  return [`${number} | ${source}`, `${' '.repeat(number.length)} | ${pad}^`];
}

/** The parser's sentence without its " at line 3, column 1:" tail and the context it appends. */
function parserSentence(message: string): string {
  return (message.split('\n')[0] ?? message).replace(/ at line \d+, column \d+:?\s*$/, '').replace(/[:.\s]+$/, '');
}

function position(text: string, offset: number): { line: number; col: number } {
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, col: before.at(-1)!.length + 1 };
}

// Lexer tokens with their offsets in the text; the lexer's one-character control tokens (document,
// scalar and flow-error markers) are not part of the text.
function* tokens(text: string): Generator<{ token: string; offset: number }> {
  let offset = 0;
  for (const token of new Lexer().lex(text)) {
    if (token === '\x02' || token === '\x18' || token === '\x1f') continue;
    yield { token, offset };
    offset += token.length;
  }
}

function unclosedQuote(text: string, quote: string): number | undefined {
  const closed = quote === '"' ? /^"(?:[^"\\]|\\[\s\S])*"$/ : /^'(?:[^']|'')*'$/;
  for (const { token, offset } of tokens(text)) if (token.startsWith(quote) && !closed.test(token)) return offset;
  return undefined;
}

function unclosedBracket(text: string, open: string): number | undefined {
  const stack: Array<{ token: string; offset: number }> = [];
  for (const t of tokens(text)) {
    if (t.token === '[' || t.token === '{') stack.push(t);
    else if ((t.token === ']' || t.token === '}') && stack.at(-1)?.token === (t.token === ']' ? '[' : '{')) stack.pop();
  }
  return stack.find((t) => t.token === open)?.offset;
}

const isContent = (l: string) => /\S/.test(l) && !/^\s*#/.test(l);

function previousContentLine(lines: readonly string[], line: number): number | undefined {
  for (let i = line - 1; i >= 1; i--) if (isContent(lines[i - 1]!)) return i;
  return undefined;
}

function nextContentLine(lines: readonly string[], line: number): number | undefined {
  for (let i = line + 1; i <= lines.length; i++) if (isContent(lines[i - 1]!)) return i;
  return undefined;
}

/** The line above `line` where `key` starts at the same column, within the same mapping. */
function firstOccurrence(lines: readonly string[], line: number, key: string): number | undefined {
  const indent = lines[line - 1]!.search(/\S/);
  for (let i = line - 1; i >= 1; i--) {
    const l = lines[i - 1]!;
    if (!isContent(l)) continue;
    const at = l.search(/\S/);
    if (at < indent) return undefined; // the parent key: the mapping starts below it
    if (at === indent && l.slice(at).startsWith(key) && /^\s*:/.test(l.slice(at + key.length))) return i;
  }
  return undefined;
}

function hasColon(line: string): boolean {
  return /:(\s|$)/.test(line.replace(/"(?:[^"\\]|\\.)*"|'(?:[^']|'')*'/g, '""').replace(/\s#.*$/, ''));
}

function unquote(key: string): string {
  return /^(["']).*\1$/.test(key) ? key.slice(1, -1) : key;
}
