// Reads RIS or BibTeX from stdin with citation-js (what many reference tools import with) and prints
// the CSL-JSON it makes of each entry, for test_exports.py. argv[2]: "@ris/file" or "@biblatex/text".
"use strict";
const fs = require("fs");
const { Cite } = require("@citation-js/core");
require("@citation-js/plugin-ris");
require("@citation-js/plugin-bibtex");

const text = fs.readFileSync(0, "utf8");
const cite = new Cite(text, { forceType: process.argv[2] });
process.stdout.write(JSON.stringify(cite.data.map(({ _graph, ...item }) => item)));
