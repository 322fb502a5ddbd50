// A small XML 1.0 well-formedness check for the map's SVG (no XML parser is among the dev
// dependencies): one root element, tags nested and closed, attributes quoted and unique, only
// the five predefined entities and character references, no characters XML forbids. Returns
// the problems found (empty: well-formed). Not a validating parser; no DTDs (the SVG has none).

const NAME = /[A-Za-z_:][-A-Za-z0-9_:.]*/y;
const ATTRIBUTE = /\s+([A-Za-z_:][-A-Za-z0-9_:.]*)\s*=\s*("[^"<]*"|'[^'<]*')/y;
const ENTITY = /&(?:amp|lt|gt|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);/g;
// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;

function badEntity(text: string): string | undefined {
  const rest = text.replace(ENTITY, "");
  return rest.includes("&") ? `a bare "&" or an unknown entity in ${JSON.stringify(text.slice(0, 80))}` : undefined;
}

export function xmlProblems(document: string): string[] {
  const problems: string[] = [];
  if (FORBIDDEN.test(document)) problems.push("a character XML 1.0 does not allow");
  let i = document.startsWith("<?xml") ? document.indexOf("?>") + 2 : 0;
  const stack: string[] = [];
  let roots = 0;
  while (i < document.length && problems.length < 10) {
    const lt = document.indexOf("<", i);
    const text = document.slice(i, lt < 0 ? undefined : lt);
    const entityProblem = badEntity(text);
    if (entityProblem) problems.push(entityProblem);
    if (stack.length === 0 && text.trim() !== "")
      problems.push(`text outside the root element: ${JSON.stringify(text.trim().slice(0, 80))}`);
    if (lt < 0) break;
    if (document.startsWith("<!--", lt)) {
      const end = document.indexOf("-->", lt + 4);
      if (end < 0) return [...problems, "an unclosed comment"];
      i = end + 3;
      continue;
    }
    if (document.startsWith("<?", lt)) {
      const end = document.indexOf("?>", lt + 2);
      if (end < 0) return [...problems, "an unclosed processing instruction"];
      i = end + 2;
      continue;
    }
    const closing = document[lt + 1] === "/";
    NAME.lastIndex = lt + (closing ? 2 : 1);
    const name = NAME.exec(document)?.[0];
    if (!name) return [...problems, `"<" not starting a tag at offset ${lt}`];
    let at = NAME.lastIndex;
    if (closing) {
      const end = document.indexOf(">", at);
      if (end < 0 || document.slice(at, end).trim() !== "") return [...problems, `a malformed end tag </${name}`];
      const open = stack.pop();
      if (open !== name) problems.push(`</${name}> closes <${open ?? "nothing"}>`);
      i = end + 1;
      continue;
    }
    const seen = new Set<string>();
    for (;;) {
      ATTRIBUTE.lastIndex = at;
      const match = ATTRIBUTE.exec(document);
      if (!match) break;
      const [, attribute, quoted] = match;
      if (seen.has(attribute!)) problems.push(`<${name}> has attribute ${attribute} twice`);
      seen.add(attribute!);
      const valueProblem = badEntity(quoted!);
      if (valueProblem) problems.push(valueProblem);
      at = ATTRIBUTE.lastIndex;
    }
    while (/\s/.test(document[at] ?? "")) at++;
    if (document.startsWith("/>", at)) {
      if (stack.length === 0) roots++;
      i = at + 2;
    } else if (document[at] === ">") {
      if (stack.length === 0) roots++;
      stack.push(name);
      i = at + 1;
    } else {
      return [...problems, `<${name}> is not closed properly at offset ${at}: ${JSON.stringify(document.slice(at, at + 40))}`];
    }
  }
  if (stack.length > 0) problems.push(`unclosed: <${stack.join("> <")}>`);
  if (roots !== 1) problems.push(`${roots} root elements (expected 1)`);
  return problems;
}
