// The public site in a real browser (Debian's Chromium, driven by
// playwright-core): a reader's journey clicked through, axe-core on every
// page type, a crawl of every internal link, and screenshots at 375 and
// 1280 px. Traffic goes only to the server named by RECTRACK_URL (loopback).
//
//   RECTRACK_URL=http://127.0.0.1:8080 SCREENSHOTS=dir node site.test.mjs
import { chromium } from "playwright-core";
import { readFileSync, mkdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import assert from "node:assert/strict";

const base = process.env.RECTRACK_URL ?? "http://127.0.0.1:8080";
const shots = process.env.SCREENSHOTS ?? "screenshots";
const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
const CRAWL_LIMIT = Number(process.env.CRAWL_LIMIT ?? 400);
mkdirSync(shots, { recursive: true });

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu"],
});
const failures = [];
const check = (ok, message) => { if (!ok) failures.push(message); };

try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
  const page = await context.newPage();
  // Nothing on a page may be fetched from anywhere but the server.
  page.on("request", (request) => {
    if (!request.url().startsWith(base) && !request.url().startsWith("data:")) {
      failures.push(`a page asked for ${request.url()}`);
    }
  });
  page.on("pageerror", (error) => failures.push(`script error: ${error.message}`));

  // ---- The reader's journey -------------------------------------------------
  await page.goto(base + "/");
  assert.match(await page.title(), /Recommendations and how they are being carried out/);
  await page.getByRole("link", { name: /Operation Hotton/ }).first().click();
  await page.waitForURL(/\/reports\/operation-hotton$/);
  const reportTitle = await page.locator("h1").textContent();
  assert.match(reportTitle, /Hotton/);
  const allRows = await page.locator("tbody tr").count();
  assert.equal(allRows, 15, "the Hotton report lists 15 recommendations");

  // Filter: words, then status.
  await page.getByLabel("Words in the title or text").fill("misogyny");
  await page.getByRole("button", { name: "Apply filters" }).click();
  await page.waitForURL(/q=misogyny/);
  const searched = await page.locator("tbody tr").count();
  assert.ok(searched >= 1 && searched < 15, `the search narrows the list (${searched} rows)`);
  await page.getByLabel("Words in the title or text").fill("");
  await page.getByLabel("Status").selectOption("accepted");
  await page.getByRole("button", { name: "Apply filters" }).click();
  await page.waitForURL(/status=accepted/);
  assert.equal(await page.locator("tbody tr").count(), 15, "all 15 are accepted");
  await page.getByLabel("Status").selectOption("verified");
  await page.getByRole("button", { name: "Apply filters" }).click();
  await page.waitForURL(/status=verified/);
  assert.equal(await page.locator("tbody tr").count(), 0, "none is verified yet");
  await page.getByRole("link", { name: "Clear filters" }).click();

  // A recommendation and its timeline.
  await page.locator("tbody tr").nth(1).getByRole("link").first().click();
  await page.waitForURL(/\/recommendations\//);
  assert.match(await page.locator("h1").textContent(), /^Recommendation 2: /);
  await page.getByRole("heading", { name: "Timeline" }).first().waitFor();
  const timeline = await page.locator("ol.timeline li").first().textContent();
  assert.match(timeline, /Response: Accepted/);
  assert.match(timeline, /on or before 8 April 2022/);
  assert.match(timeline, /Entered on .* from /, "the backfill names its source");
  const recommendationUrl = page.url();

  // The status as of a past date, as it happened, and its CSV.
  await page.getByRole("navigation", { name: "Site" }).getByRole("link", { name: "Status report" }).click();
  await page.waitForURL(/\/status$/);
  await page.getByLabel("As of").fill("2022-03-01");
  await page.getByLabel("had happened by then, as known now").check();
  await page.getByLabel("Report", { exact: true }).selectOption("operation-hotton");
  await page.getByRole("button", { name: "Show the report" }).click();
  await page.waitForURL(/as_of=2022-03-01/);
  assert.match(await page.locator(".lede").textContent(), /1 March 2022, as it happened/);
  const awaiting = await page.locator("tfoot td").nth(1).textContent();
  assert.equal(awaiting.trim(), "15", "on 1 March 2022 all 15 awaited a response");
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("link", { name: "CSV" }).click(),
  ]);
  assert.equal(download.suggestedFilename(), "status-2022-03-01.csv");
  const csv = readFileSync(await download.path(), "utf8");
  assert.match(csv.split("\r\n")[0], /^organisation,assignments,/);
  const all = csv.split("\r\n").find((line) => line.startsWith("all,"));
  assert.ok(all, "the CSV has its totals row");
  const api = await (await fetch(`${base}/v1/status?as_of=2022-03-01&basis=occurred&report=operation-hotton`, { headers: { accept: "text/csv" } })).text();
  assert.equal(csv, api, "the download is exactly what /v1/status serves");
  console.log("journey: home → report → search and filters → recommendation → timeline → status as of 1 March 2022 → CSV: ok");

  // ---- Every page type: axe-core and screenshots -----------------------------
  const pageTypes = {
    home: "/",
    report: "/reports/operation-hotton",
    "report-filtered": "/reports/operation-hotton?status=accepted&q=officers",
    recommendation: new URL(recommendationUrl).pathname,
    organisation: "/organisations/mps",
    status: "/status?as_of=2022-03-01&basis=occurred&report=operation-hotton",
    audit: "/audit",
    "not-found": "/no-such-page",
  };
  // The synthetic set, when the server holds it: a longer report, and a
  // recommendation with claims and reviews on its timeline.
  if ((await fetch(base + "/reports/report-00000")).status === 200) {
    pageTypes["synthetic-report"] = "/reports/report-00000";
    await page.goto(base + "/reports/report-00000");
    const first = await page.locator("tbody tr a[href^='/recommendations/']").first().getAttribute("href");
    pageTypes["synthetic-recommendation"] = first;
  }
  const results = {};
  for (const [name, path] of Object.entries(pageTypes)) {
    for (const width of [375, 1280]) {
      await page.setViewportSize({ width, height: 900 });
      await page.goto(base + path);
      await page.screenshot({ path: `${shots}/${name}-${width}.png`, fullPage: true });
      await page.screenshot({ path: `${shots}/${name}-${width}-top.png` });
      // Nothing may overflow the viewport sideways but a scrolling table.
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      check(overflow <= 0, `${name} at ${width} px is ${overflow} px wider than the screen`);
    }
    await page.addScriptTag({ content: axeSource }).catch(() => {});
    // The CSP forbids inline scripts; evaluate axe instead.
    const violations = await page.evaluate(async (source) => {
      if (!window.axe) { (0, eval)(source); }
      const result = await window.axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"] } });
      return result.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length, help: v.help }));
    }, axeSource);
    results[name] = violations;
    for (const v of violations) {
      check(!["serious", "critical"].includes(v.impact), `axe on ${name}: ${v.impact} ${v.id} (${v.help}), ${v.nodes} node(s)`);
    }
  }
  for (const [name, violations] of Object.entries(results)) {
    const summary = violations.length === 0 ? "no violations" : violations.map((v) => `${v.impact} ${v.id} ×${v.nodes}`).join(", ");
    console.log(`axe ${name}: ${summary}`);
  }
  writeFileSync(`${shots}/axe.json`, JSON.stringify(results, null, 2));

  // ---- Print ------------------------------------------------------------------
  await page.goto(base + recommendationUrl.replace(base, ""));
  await page.emulateMedia({ media: "print" });
  const navShown = await page.locator("nav[aria-label=Site]").isVisible();
  check(!navShown, "the site navigation is printed");
  await page.pdf({ path: `${shots}/recommendation-print.pdf` });
  await page.emulateMedia({ media: "screen" });

  // ---- Keyboard: the skip link is the first stop and leads to the content ----
  await page.goto(base + "/");
  await page.keyboard.press("Tab");
  const focused = await page.evaluate(() => document.activeElement?.textContent);
  check(focused === "Skip to main content", `the first tab stop is "${focused}"`);

  // ---- Crawl every internal link ---------------------------------------------
  const seen = new Set(["/"]);
  const queue = ["/"];
  let crawled = 0;
  while (queue.length > 0 && crawled < CRAWL_LIMIT) {
    const path = queue.shift();
    crawled += 1;
    let response = await fetch(base + path, { redirect: "manual" });
    // Status reports computed for an anonymous reader are rationed (429 with
    // Retry-After); wait as a reader would, then ask again.
    for (let tries = 0; response.status === 429 && tries < 8; tries += 1) {
      const wait = Math.min(Number(response.headers.get("retry-after") ?? 3), 10);
      await response.arrayBuffer();
      await new Promise((resolve) => setTimeout(resolve, wait * 1000));
      response = await fetch(base + path, { redirect: "manual" });
    }
    check(response.status < 400, `${path} answers ${response.status}`);
    const type = response.headers.get("content-type") ?? "";
    if (!type.startsWith("text/html") || path.startsWith("/docs")) { await response.arrayBuffer(); continue; }
    const html = await response.text();
    for (const match of html.matchAll(/href="([^"#]*)(#[^"]*)?"/g)) {
      const href = match[1].replaceAll("&amp;", "&");
      if (href === "" || /^[a-z]+:/i.test(href) && !href.startsWith(base)) continue;
      const target = new URL(href, base + path);
      if (target.origin !== new URL(base).origin) continue;
      const next = target.pathname + target.search;
      if (!seen.has(next)) { seen.add(next); queue.push(next); }
    }
  }
  console.log(`crawl: ${crawled} internal addresses fetched${queue.length > 0 ? ` (stopped at the limit of ${CRAWL_LIMIT}; ${queue.length} more found)` : ", every one found"}`);
  await context.close();
} catch (error) {
  failures.push(error.stack ?? String(error));
} finally {
  await browser.close();
}

if (failures.length > 0) {
  console.error(`browser tests failed:\n- ${failures.join("\n- ")}`);
  process.exit(1);
}
console.log(`browser tests passed; screenshots in ${shots}`);
