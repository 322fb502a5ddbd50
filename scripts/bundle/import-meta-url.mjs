// Injected into the CommonJS bundle (scripts/bundle/build.mjs): `import.meta.url` of the sources
// becomes the bundle's own file URL, so paths relative to it (package.json, parse-worker.js)
// resolve from dist/src/bundle/ as they do from dist/src/<folder>/.
export const import_meta_url = require("node:url").pathToFileURL(__filename).href;
