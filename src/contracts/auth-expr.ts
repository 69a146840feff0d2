// Gloo's booleanExpr over step names: identifiers, `&&`, `||` and parentheses (`&&` binds tighter). Parsed once
// when a config is read; evaluation is lazy and in order, like the operators of most languages.

export type Expr = { step: string } | { all: Expr[] } | { any: Expr[] };

export type ParsedExpr = { expr: Expr } | { error: string };

const TOKEN = /\s*(&&|\|\||\(|\)|[A-Za-z0-9_.-]+)/y;

export function parseExpr(text: string): ParsedExpr {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < text.length) {
    const at = TOKEN.lastIndex;
    const m = TOKEN.exec(text);
    if (!m) {
      if (/^\s*$/.test(text.slice(at))) break;
      return { error: `unexpected ${JSON.stringify(text.slice(at).trim()[0])} at position ${at + 1} (use step names, &&, || and parentheses)` };
    }
    tokens.push(m[1] as string);
  }
  const p = new Parser(tokens);
  try {
    const expr = p.or();
    if (!p.done()) return { error: `unexpected ${JSON.stringify(p.peek())}` };
    return { expr };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

/** Every step name the expression uses. */
export function stepsOf(expr: Expr): string[] {
  return 'step' in expr ? [expr.step] : ('all' in expr ? expr.all : expr.any).flatMap(stepsOf);
}

class Parser {
  readonly #tokens: string[];
  #i = 0;
  constructor(tokens: string[]) {
    this.#tokens = tokens;
  }

  done(): boolean {
    return this.#i >= this.#tokens.length;
  }

  peek(): string | undefined {
    return this.#tokens[this.#i];
  }

  or(): Expr {
    const parts = [this.and()];
    while (this.peek() === '||') this.#i++, parts.push(this.and());
    return parts.length === 1 ? (parts[0] as Expr) : { any: parts };
  }

  and(): Expr {
    const parts = [this.atom()];
    while (this.peek() === '&&') this.#i++, parts.push(this.atom());
    return parts.length === 1 ? (parts[0] as Expr) : { all: parts };
  }

  atom(): Expr {
    const t = this.#tokens[this.#i++];
    if (t === '(') {
      const inner = this.or();
      if (this.#tokens[this.#i++] !== ')') throw new Error('missing )');
      return inner;
    }
    if (t === undefined || t === ')' || t === '&&' || t === '||') throw new Error(t === undefined ? 'unexpected end of expression' : `unexpected ${JSON.stringify(t)}`);
    return { step: t };
  }
}
