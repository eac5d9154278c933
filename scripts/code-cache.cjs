// npm run build, last step (scripts/bundle.mjs runs this once per bundle):
//   node scripts/code-cache.cjs dist/cli/NAME.js BUILD [ARG...]
// compiles the bundle exactly as bin/svipc does (vm.Script), runs `svipc ARG...`
// (NAME --help: a run that prints and touches nothing, so V8 compiles the launcher, the option
// parsing and what the command loads on the way), and at exit writes dist/cli/NAME.cache:
// `svipc code cache BUILD\n` then V8's code cache, which then holds those functions compiled.
// BUILD is the id the bundle ends with; bin/svipc uses a cache only with its own bundle's id.
'use strict';
const { readFileSync, renameSync, writeFileSync } = require('node:fs');
const { dirname, join } = require('node:path');
const { Script } = require('node:vm');

const [file, build, ...args] = process.argv.slice(2);
const source = readFileSync(file, 'utf8');
const compiled = new Script(source, { filename: file });
const loaded = { exports: {} };
compiled.runInThisContext().call(loaded.exports, loaded.exports, require, loaded, file, dirname(file));

process.on('exit', (code) => {
  if (code !== 0) return;
  const out = file.replace(/\.js$/, '.cache');
  const data = Buffer.concat([
    Buffer.from(`svipc code cache ${build}\n`, 'latin1'),
    compiled.createCachedData(),
  ]);
  writeFileSync(`${out}.tmp`, data);
  renameSync(`${out}.tmp`, out);
});
loaded.exports.start([process.execPath, join(__dirname, '../bin/svipc'), ...args]);
