// Read a PDF's structure tree the way Firefox's viewer does (pdf.js page.getStructTree()).
// Usage: node structtree.mjs IN.pdf  -> JSON on stdout, one entry per page:
//   tree: the page's structure tree; annotations: widgets by id, with field name and /TU;
//   untagged: text that is neither in a structure element's marked content nor an artifact.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { getDocument, GlobalWorkerOptions } from "pdfjs-dist/legacy/build/pdf.mjs";

const require = createRequire(import.meta.url);
GlobalWorkerOptions.workerSrc = require.resolve("pdfjs-dist/legacy/build/pdf.worker.mjs");

const doc = await getDocument({ data: new Uint8Array(readFileSync(process.argv[2])), verbosity: 0 }).promise;
const pages = [];
for (let n = 1; n <= doc.numPages; n++) {
  const page = await doc.getPage(n);
  const tree = await page.getStructTree();
  const annotations = (await page.getAnnotations()).map((a) => ({
    id: a.id, fieldName: a.fieldName, alternativeText: a.alternativeText, fieldType: a.fieldType,
    checkBox: a.checkBox ?? false, radioButton: a.radioButton ?? false, buttonValue: a.buttonValue ?? null,
  }));
  const content = await page.getTextContent({ includeMarkedContent: true });
  const untagged = [];
  const stack = [];
  const text = {};
  for (const item of content.items) {
    if (item.type === "beginMarkedContentProps" || item.type === "beginMarkedContent") {
      stack.push(item);
    } else if (item.type === "endMarkedContent") {
      stack.pop();
    } else if (item.str !== undefined && item.str.trim()) {
      const owner = [...stack].reverse().find((m) => m.id || m.tag === "Artifact");
      if (!owner) untagged.push(item.str);
      else if (owner.id) text[owner.id] = (text[owner.id] ?? "") + item.str;
    }
  }
  pages.push({ tree, annotations, untagged, text });
}
process.stdout.write(JSON.stringify(pages));
await doc.destroy();
