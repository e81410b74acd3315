// Fill a PDF form with pdf.js (the engine of Firefox's viewer) and save it as Firefox does.
// Usage: node fill.mjs IN.pdf VALUES.json OUT.pdf
// VALUES.json maps field names to text, or for buttons to "/ExportValue" ("/Off" for none).
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { getDocument, GlobalWorkerOptions } from "pdfjs-dist/legacy/build/pdf.mjs";

const require = createRequire(import.meta.url);
GlobalWorkerOptions.workerSrc = require.resolve("pdfjs-dist/legacy/build/pdf.worker.mjs");

const [input, valuesPath, output] = process.argv.slice(2);
const values = JSON.parse(readFileSync(valuesPath, "utf8"));
const doc = await getDocument({ data: new Uint8Array(readFileSync(input)), verbosity: 0 }).promise;
const fields = (await doc.getFieldObjects()) ?? {};
for (const [name, value] of Object.entries(values)) {
  for (const widget of fields[name] ?? []) {
    if (widget.type === "checkbox") {
      doc.annotationStorage.setValue(widget.id, { value: value !== "/Off" });
    } else if (widget.type === "radiobutton") {
      doc.annotationStorage.setValue(widget.id, { value: `/${widget.exportValues}` === value });
    } else if (widget.type === "text") {
      doc.annotationStorage.setValue(widget.id, { value });
    }
  }
}
writeFileSync(output, await doc.saveDocument());
await doc.destroy();
