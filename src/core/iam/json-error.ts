/**
 * Finds where a JSON text first goes wrong, for error messages. V8's JSON.parse messages give a
 * position only for some errors ("Unexpected token 'x', "<the whole input>" is not valid JSON"
 * has none and echoes the input), so after JSON.parse has failed we scan the text ourselves.
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

/** The first syntax error in `text`; undefined when it is valid JSON or nested too deeply to scan. */
export function locateJsonError(text: string): JsonSyntaxError | undefined {
  const scanner = new Scanner(text);
  try {
    scanner.skipWhitespace();
    scanner.value(0);
    scanner.skipWhitespace();
    if (scanner.offset < text.length) scanner.fail("unexpected text after the end of the document");
    return undefined;
  } catch (error) {
    if (error instanceof SyntaxFailure) return { offset: error.offset, problem: error.problem };
    return undefined;
  }
}

const MAX_DEPTH = 2000;

class Scanner {
  offset = 0;
  constructor(private readonly text: string) {}

  fail(problem: string): never {
    throw new SyntaxFailure(this.offset, problem);
  }

  private describeHere(): string {
    const char = this.text[this.offset];
    return char === undefined ? "the end of the text" : `${JSON.stringify(char)}`;
  }

  skipWhitespace(): void {
    while (WHITESPACE.has(this.text[this.offset] ?? "")) this.offset += 1;
  }

  value(depth: number): void {
    // Too deep to scan safely: give up and let the caller use JSON.parse's own message.
    if (depth > MAX_DEPTH) throw new RangeError("nested too deeply to locate the error");
    const char = this.text[this.offset];
    if (char === "{") return this.object(depth);
    if (char === "[") return this.array(depth);
    if (char === '"') return this.string();
    for (const literal of ["true", "false", "null"]) {
      if (this.text.startsWith(literal, this.offset)) {
        this.offset += literal.length;
        return;
      }
    }
    NUMBER.lastIndex = this.offset;
    if (NUMBER.test(this.text)) {
      this.offset = NUMBER.lastIndex;
      return;
    }
    this.fail(`expected a value but found ${this.describeHere()}`);
  }

  private object(depth: number): void {
    this.offset += 1;
    this.skipWhitespace();
    if (this.text[this.offset] === "}") {
      this.offset += 1;
      return;
    }
    for (;;) {
      this.skipWhitespace();
      if (this.text[this.offset] !== '"') {
        this.fail(`expected a double-quoted property name but found ${this.describeHere()}${this.text[this.offset] === "}" ? " (trailing comma?)" : ""}`);
      }
      this.string();
      this.skipWhitespace();
      if (this.text[this.offset] !== ":") this.fail(`expected ":" after the property name but found ${this.describeHere()}`);
      this.offset += 1;
      this.skipWhitespace();
      this.value(depth + 1);
      this.skipWhitespace();
      const next = this.text[this.offset];
      if (next === "}") {
        this.offset += 1;
        return;
      }
      if (next !== ",") this.fail(`expected "," or "}" but found ${this.describeHere()}`);
      this.offset += 1;
    }
  }

  private array(depth: number): void {
    this.offset += 1;
    this.skipWhitespace();
    if (this.text[this.offset] === "]") {
      this.offset += 1;
      return;
    }
    for (;;) {
      this.skipWhitespace();
      if (this.text[this.offset] === "]") this.fail(`expected a value but found "]" (trailing comma?)`);
      this.value(depth + 1);
      this.skipWhitespace();
      const next = this.text[this.offset];
      if (next === "]") {
        this.offset += 1;
        return;
      }
      if (next !== ",") this.fail(`expected "," or "]" but found ${this.describeHere()}`);
      this.offset += 1;
    }
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
