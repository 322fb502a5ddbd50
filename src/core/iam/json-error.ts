/**
 * Finds where a JSON text first goes wrong, for error messages. V8's JSON.parse messages give a
 * position only for some errors ("Unexpected token 'x', "<the whole input>" is not valid JSON"
 * has none and echoes the input), so after JSON.parse has failed we scan the text ourselves.
 * Used for policy documents (core/iam/parse.ts) and for the CLI's .json inputs.
 */

export interface JsonSyntaxError {
  offset: number;
  problem: string;
}

const WHITESPACE = new Set([" ", "\t", "\n", "\r"]);
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const ESCAPE = /\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4})/y;

class SyntaxFailure extends Error {
  constructor(
    readonly offset: number,
    readonly problem: string,
  ) {
    super(problem);
  }
}

/**
 * The first syntax error in `text` (RFC 8259); undefined when it is valid JSON. Iterative, so
 * any depth of nesting is scanned without overflowing the stack.
 */
export function locateJsonError(text: string): JsonSyntaxError | undefined {
  try {
    new Scanner(text).document();
    return undefined;
  } catch (error) {
    if (error instanceof SyntaxFailure) return { offset: error.offset, problem: error.problem };
    throw error;
  }
}

class Scanner {
  offset = 0;
  /** The open containers, innermost last. */
  private readonly open: ("{" | "[")[] = [];
  constructor(private readonly text: string) {}

  fail(problem: string): never {
    throw new SyntaxFailure(this.offset, problem);
  }

  private describeHere(): string {
    const char = this.text[this.offset];
    return char === undefined ? "the end of the text" : `${JSON.stringify(char)}`;
  }

  private skipWhitespace(): void {
    while (WHITESPACE.has(this.text[this.offset] ?? "")) this.offset += 1;
  }

  document(): void {
    this.skipWhitespace();
    // Each turn reads one value (opening a container counts as starting one), then closes
    // what it completes and moves to the container's next member.
    for (;;) {
      if (this.value()) {
        this.skipWhitespace();
        continue;
      }
      if (!this.next()) break;
    }
    this.skipWhitespace();
    if (this.offset < this.text.length) this.fail("unexpected text after the end of the document");
  }

  /** Reads a value at the offset; true when it opened a non-empty container (its first member is next). */
  private value(): boolean {
    const char = this.text[this.offset];
    if (char === "{" || char === "[") {
      const close = char === "{" ? "}" : "]";
      this.offset += 1;
      this.skipWhitespace();
      if (this.text[this.offset] === close) {
        this.offset += 1;
        return false;
      }
      this.open.push(char);
      if (char === "{") this.key();
      return true;
    }
    if (char === '"') {
      this.string();
      return false;
    }
    for (const literal of ["true", "false", "null"]) {
      if (this.text.startsWith(literal, this.offset)) {
        this.offset += literal.length;
        return false;
      }
    }
    NUMBER.lastIndex = this.offset;
    if (NUMBER.test(this.text)) {
      this.offset = NUMBER.lastIndex;
      return false;
    }
    this.fail(`expected a value but found ${this.describeHere()}`);
  }

  /** After a value: closes finished containers and moves to the next member; false at the top level. */
  private next(): boolean {
    for (;;) {
      const container = this.open.at(-1);
      if (container === undefined) return false;
      this.skipWhitespace();
      const close = container === "{" ? "}" : "]";
      const next = this.text[this.offset];
      if (next === close) {
        this.offset += 1;
        this.open.pop();
        continue;
      }
      if (next !== ",") this.fail(`expected "," or "${close}" but found ${this.describeHere()}`);
      this.offset += 1;
      this.skipWhitespace();
      if (container === "{") {
        this.key();
      } else if (this.text[this.offset] === "]") {
        this.fail(`expected a value but found "]" (trailing comma?)`);
      }
      return true;
    }
  }

  /** A member's name and colon, up to its value. */
  private key(): void {
    this.skipWhitespace();
    if (this.text[this.offset] !== '"') {
      this.fail(
        `expected a double-quoted property name but found ${this.describeHere()}${this.text[this.offset] === "}" ? " (trailing comma?)" : ""}`,
      );
    }
    this.string();
    this.skipWhitespace();
    if (this.text[this.offset] !== ":") this.fail(`expected ":" after the property name but found ${this.describeHere()}`);
    this.offset += 1;
    this.skipWhitespace();
  }

  private string(): void {
    this.offset += 1;
    for (;;) {
      const char = this.text[this.offset];
      if (char === undefined) this.fail("unterminated string");
      if (char === '"') {
        this.offset += 1;
        return;
      }
      if (char === "\\") {
        ESCAPE.lastIndex = this.offset;
        if (!ESCAPE.test(this.text)) this.fail("invalid escape sequence in a string");
        this.offset = ESCAPE.lastIndex;
        continue;
      }
      if (char < " ") this.fail("raw control character (newline, tab, …) inside a string; write it as \\n or \\t");
      this.offset += 1;
    }
  }
}
