// Copies the browser libraries the UI uses from node_modules into web/vendor/
// (served by `seatkeeper serve` at /vendor/; gitignored). Run by `npm install`.
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const web = join(dirname(fileURLToPath(import.meta.url)), "..");
const vendor = join(web, "vendor");
mkdirSync(vendor, { recursive: true });
for (const [from, to] of [
  ["node_modules/uplot/dist/uPlot.iife.min.js", "uplot.iife.min.js"],
  ["node_modules/uplot/dist/uPlot.min.css", "uplot.min.css"],
]) {
  copyFileSync(join(web, from), join(vendor, to));
  console.log(`vendored ${from} -> vendor/${to}`);
}
