/**
 * Finds the test(), it() and describe() calls of a JS/TS test file, with their titles and where
 * they start and end in the source, without a parser dependency: a small tokenizer (strings,
 * templates, comments, regex literals) plus bracket matching. Used by conformance-table.mjs.
 */

// ------------------------------------------------------------------ tokenizer

const REGEX_AFTER_PUNCT = new Set([
  '(',
  ',',
  '=',
  ':',
  '[',
  '!',
  '&',
  '|',
  '?',
  '{',
  '}',
  ';',
  '+',
  '-',
  '*',
  '%',
  '<',
  '>',
  '~',
  '^',
  '=>',
]);
const REGEX_AFTER_WORD = new Set([
  'return',
  'typeof',
  'case',
  'do',
  'else',
  'in',
  'of',
  'new',
  'delete',
  'void',
  'throw',
  'instanceof',
  'yield',
  'await',
]);

/** Tokens of a JS/TS source: ident, punct, string (value unescaped loosely), template, regex, number. Comments are skipped. */
function tokenize(src) {
  const tokens = [];
  let i = 0;
  const n = src.length;
  let newline = true; // a line break since the previous token
  const push = (token) => {
    token.nl = newline;
    newline = false;
    tokens.push(token);
  };
  const last = () => tokens[tokens.length - 1];
  const isIdentStart = (c) => /[A-Za-z_$\u0080-\uffff]/.test(c);
  const isIdent = (c) => /[A-Za-z0-9_$\u0080-\uffff]/.test(c);

  /** Skips a template literal starting at src[j] === '`'; returns the index after it. */
  const skipTemplate = (j) => {
    j++;
    while (j < n && src[j] !== '`') {
      if (src[j] === '\\') j += 2;
      else if (src[j] === '$' && src[j + 1] === '{') j = skipBraces(j + 1);
      else j++;
    }
    return j + 1;
  };
  /** Skips a balanced {...} expression (inside a template) starting at src[j] === '{'. */
  const skipBraces = (j) => {
    let depth = 0;
    while (j < n) {
      const c = src[j];
      if (c === '{') depth++;
      else if (c === '}') {
        depth--;
        if (depth === 0) return j + 1;
      } else if (c === '"' || c === "'") {
        j = skipString(j);
        continue;
      } else if (c === '`') {
        j = skipTemplate(j);
        continue;
      }
      j++;
    }
    return j;
  };
  const skipString = (j) => {
    const quote = src[j++];
    while (j < n && src[j] !== quote && src[j] !== '\n') j += src[j] === '\\' ? 2 : 1;
    return j + 1;
  };

  while (i < n) {
    const c = src[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      if (c === '\n') newline = true;
      i++;
    } else if (c === '/' && src[i + 1] === '/') {
      while (i < n && src[i] !== '\n') i++;
    } else if (c === '/' && src[i + 1] === '*') {
      const end = src.indexOf('*/', i + 2);
      if (src.slice(i, end).includes('\n')) newline = true;
      i = end < 0 ? n : end + 2;
    } else if (c === '"' || c === "'") {
      const end = skipString(i);
      push({ type: 'string', value: src.slice(i + 1, end - 1), start: i, end });
      i = end;
    } else if (c === '`') {
      const end = skipTemplate(i);
      push({ type: 'template', value: src.slice(i + 1, end - 1), start: i, end });
      i = end;
    } else if (isIdentStart(c)) {
      let j = i + 1;
      while (j < n && isIdent(src[j])) j++;
      push({ type: 'ident', value: src.slice(i, j), start: i, end: j });
      i = j;
    } else if (/[0-9]/.test(c)) {
      let j = i + 1;
      while (j < n && /[0-9A-Za-z_.]/.test(src[j])) j++;
      push({ type: 'number', value: src.slice(i, j), start: i, end: j });
      i = j;
    } else if (c === '/') {
      const prev = last();
      const regexAllowed =
        !prev ||
        (prev.type === 'punct' && REGEX_AFTER_PUNCT.has(prev.value)) ||
        (prev.type === 'ident' && REGEX_AFTER_WORD.has(prev.value));
      if (regexAllowed) {
        let j = i + 1;
        let inClass = false;
        while (j < n && src[j] !== '\n') {
          const ch = src[j];
          if (ch === '/' && !inClass) break;
          if (ch === '[') inClass = true;
          else if (ch === ']') inClass = false;
          j += ch === '\\' ? 2 : 1;
        }
        j++;
        while (j < n && /[a-z]/.test(src[j])) j++;
        push({ type: 'regex', value: src.slice(i, j), start: i, end: j });
        i = j;
      } else {
        push({ type: 'punct', value: '/', start: i, end: i + 1 });
        i++;
      }
    } else if (c === '=' && src[i + 1] === '>') {
      push({ type: 'punct', value: '=>', start: i, end: i + 2 });
      i += 2;
    } else {
      push({ type: 'punct', value: c, start: i, end: i + 1 });
      i++;
    }
  }
  return tokens;
}

/** Index of the matching closer for every opener token. */
function matchBrackets(tokens) {
  const match = new Map();
  const stack = [];
  const pairs = { ')': '(', ']': '[', '}': '{' };
  tokens.forEach((t, index) => {
    if (t.type !== 'punct') return;
    if (t.value === '(' || t.value === '[' || t.value === '{') stack.push(index);
    else if (pairs[t.value]) {
      // Pop to the nearest opener of the right kind (tolerates the odd mis-tokenised character).
      for (let k = stack.length - 1; k >= 0; k--) {
        if (tokens[stack[k]].value === pairs[t.value]) {
          match.set(stack[k], index);
          stack.length = k;
          break;
        }
      }
    }
  });
  return match;
}

const BLOCKS = new Map([
  ['test', 'test'],
  ['it', 'test'],
  ['xit', 'test'],
  ['xtest', 'test'],
  ['fit', 'test'],
  ['describe', 'describe'],
  ['xdescribe', 'describe'],
  ['fdescribe', 'describe'],
]);

/** test / it / describe calls of a file with their title and source extent. */
export function findBlocks(src) {
  const tokens = tokenize(src);
  const match = matchBrackets(tokens);
  const blocks = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.type !== 'ident' || !BLOCKS.has(t.value)) continue;
    const prev = tokens[i - 1];
    if (prev && prev.type === 'punct' && prev.value === '.') continue; // obj.test(...)
    let j = i + 1;
    const modifiers = [];
    while (tokens[j]?.value === '.' && tokens[j + 1]?.type === 'ident') {
      modifiers.push(tokens[j + 1].value);
      j += 2;
    }
    let table;
    if (modifiers.includes('each')) {
      if (tokens[j]?.value === '(' && match.has(j)) {
        // test.each(cases): remember a table passed by name, its rows count for this test.
        if (match.get(j) === j + 2 && tokens[j + 1].type === 'ident') table = tokens[j + 1].value;
        j = match.get(j) + 1;
      } else if (tokens[j]?.type === 'template') j += 1;
      else continue;
    }
    if (tokens[j]?.value !== '(' || !match.has(j)) continue;
    const close = match.get(j);
    const first = tokens[j + 1];
    const title = first && (first.type === 'string' || first.type === 'template') ? first.value : '(untitled)';
    blocks.push({
      kind: BLOCKS.get(t.value),
      title,
      start: t.start,
      end: tokens[close].end,
      skipped: t.value.startsWith('x') || modifiers.includes('skip') || modifiers.includes('todo'),
      table,
    });
  }
  const declarations = findDeclarations(tokens, match);
  for (const block of blocks) {
    const declaration = block.table && declarations.get(block.table);
    if (declaration) block.extra = declaration;
  }
  return blocks;
}

const STATEMENT_START = new Set([
  'const',
  'let',
  'var',
  'function',
  'class',
  'export',
  'import',
  'describe',
  'test',
  'it',
  'beforeAll',
  'beforeEach',
  'afterAll',
  'afterEach',
  'type',
  'interface',
]);

/** Source extent of each top-level-ish `const NAME = ...` initializer, by NAME (for test.each tables). */
function findDeclarations(tokens, match) {
  const out = new Map();
  for (let i = 0; i + 1 < tokens.length; i++) {
    const t = tokens[i];
    if (t.type !== 'ident' || !['const', 'let', 'var'].includes(t.value) || tokens[i + 1].type !== 'ident') continue;
    let j = i + 2;
    // Skip a type annotation up to the '='.
    while (j < tokens.length && tokens[j].value !== '=' && tokens[j].value !== ';')
      j = match.has(j) ? match.get(j) + 1 : j + 1;
    if (tokens[j]?.value !== '=') continue;
    const from = j + 1;
    let k = from;
    while (k < tokens.length) {
      const tk = tokens[k];
      if (tk.value === ';') break;
      if (k > from && tk.type === 'ident' && STATEMENT_START.has(tk.value) && tk.nl && tokens[k - 1].value !== '.')
        break;
      k = match.has(k) ? match.get(k) + 1 : k + 1;
    }
    const last = tokens[Math.min(k, tokens.length) - 1];
    if (last) out.set(tokens[i + 1].value, { start: tokens[from]?.start ?? last.end, end: last.end });
  }
  return out;
}
