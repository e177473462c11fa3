// Bundles src/index.js and everything it imports into ONE minified ES module that the Python
// package ships (lessonkit/player/static/code_editor.js), so a student's page needs no CDN and
// no network. The licences of the bundled packages (MIT) are appended to the bundle as a
// comment, because minification drops them and their terms ask for them in every copy.
import { appendFileSync, existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import * as esbuild from "esbuild";

const outfile = "../../lessonkit/player/static/code_editor.js";

const result = await esbuild.build({
  entryPoints: ["src/index.js"],
  bundle: true,
  format: "esm",
  minify: true,
  target: "es2020",
  legalComments: "none",
  metafile: true,
  outfile,
});

/** The folder of the npm package that holds a bundled input file. */
function packageDir(input) {
  const match = input.match(/^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//);
  return match && match[1];
}

const packages = new Map(); // licence text -> package names
for (const input of Object.keys(result.metafile.inputs)) {
  const dir = packageDir(input);
  if (!dir) continue;
  const { name, version } = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
  const licenceFile = ["LICENSE", "LICENSE.md", "LICENSE.txt"]
    .map((file) => join(dir, file))
    .find(existsSync);
  if (!licenceFile) throw new Error(`no licence file in ${dir}`);
  const text = readFileSync(licenceFile, "utf8").trim();
  const names = packages.get(text) ?? new Set();
  names.add(`${name}@${version}`);
  packages.set(text, names);
}

let notice = "\n/*! Bundled third-party packages and their licences:\n";
for (const [text, names] of packages) {
  notice += `\n${[...names].sort().join(", ")}\n\n${text.replaceAll("*/", "* /")}\n`;
}
appendFileSync(outfile, `${notice}*/\n`);
console.log(`${outfile}: ${readFileSync(outfile).length} bytes, ${packages.size} licence text(s)`);
