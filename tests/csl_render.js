// Renders CSL-JSON items with citeproc-js, the reference CSL processor, for test_citations.py.
// stdin: {"style": path to a .csl file, "locale": "en-GB", "locales": folder of locales-*.xml, "items": [CSL-JSON]}
// stdout: {"<id>": "<bibliography entry as HTML>"}, each item cited alone (no disambiguation between them).
"use strict";
const fs = require("fs");
const path = require("path");
const CSL = require("citeproc");

const request = JSON.parse(fs.readFileSync(0, "utf8"));
const items = new Map(request.items.map((item) => [String(item.id), item]));
const sys = {
  retrieveLocale: (lang) => {
    const file = path.join(request.locales, `locales-${lang}.xml`);
    return fs.existsSync(file) ? fs.readFileSync(file, "utf8") : false;
  },
  retrieveItem: (id) => items.get(String(id)),
};
const engine = new CSL.Engine(sys, fs.readFileSync(request.style, "utf8"), request.locale, true);
const out = {};
for (const id of items.keys()) {
  engine.updateItems([id]);
  const [, entries] = engine.makeBibliography();
  out[id] = entries.join("").trim();
}
process.stdout.write(JSON.stringify(out));
