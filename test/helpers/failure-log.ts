// What child processes and in-process services print during a test is kept, not printed:
// a green run shows only the test results, and a failing test shows the lines that came
// with it (the last MAX_LINES, so a chatty loop cannot fill the memory).
import { afterAll, afterEach, onTestFailed, TestRunner } from "vitest";

const MAX_LINES = 2_000;

/** A bounded list of lines: the oldest go first, and the dropped ones are counted. */
class LineBuffer {
  private lines: string[] = [];
  private dropped = 0;

  add(text: string): void {
    for (const line of text.split("\n")) {
      if (line === "") continue;
      this.lines.push(line);
      if (this.lines.length > MAX_LINES) {
        this.lines.shift();
        this.dropped++;
      }
    }
  }

  /** The kept lines under a heading, and empties the buffer; undefined when there are none. */
  take(heading: string): string | undefined {
    if (this.lines.length === 0) return undefined;
    const text = [`--- ${heading}${this.dropped ? ` (${this.dropped} earlier lines dropped)` : ""}:`, ...this.lines].join("\n");
    this.lines = [];
    this.dropped = 0;
    return text;
  }
}

const perTest = new WeakMap<object, LineBuffer>();

/**
 * A line for the reader of a failing test (a measurement, a child's output): printed only if
 * the current test fails. Outside a test (in a hook) it is printed at once.
 */
export function logOnFailure(text: string): void {
  const test = TestRunner.getCurrentTest();
  if (!test) {
    console.log(text);
    return;
  }
  let buffer = perTest.get(test);
  if (!buffer) {
    const created = new LineBuffer();
    perTest.set(test, created);
    onTestFailed(() => {
      const shown = created.take("output of this test");
      if (shown) console.log(shown);
    });
    buffer = created;
  }
  buffer.add(text);
}

export interface CapturedOutput {
  /** pino's DestinationStream, and a sink for a child's stdout/stderr chunks. */
  write(chunk: string | Buffer): void;
}

/**
 * A sink for output that runs across tests (a service started in `beforeAll`, its logger, a
 * child's pipes). Call at collection (file or `describe` level). After a failing test it
 * prints what was written since the last test ended; after a failed `beforeAll`, all of it.
 */
export function captureOutput(name: string): CapturedOutput {
  const buffer = new LineBuffer();
  afterEach((context) => {
    const shown = buffer.take(`${name}, during the failed test`);
    if (context.task.result?.state === "fail" && shown) console.log(shown);
  });
  // vitest reads the first parameter as a fixture pattern: it must be destructuring.
  // eslint-disable-next-line no-empty-pattern
  afterAll(({}, suite) => {
    const shown = buffer.take(`${name}, after the last test`);
    if (suite.result?.state === "fail" && shown) console.log(shown);
  });
  return { write: (chunk) => buffer.add(String(chunk)) };
}
