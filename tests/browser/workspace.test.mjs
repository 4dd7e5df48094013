// The workspace in a real browser (Debian's Chromium, driven by
// playwright-core): the demo's IOPC caseworker signs in with a password and
// a TOTP code and invites an MPS caseworker on the People page; the new
// caseworker opens the link, is refused a weak
// password, sets a good one, plans two milestones on recommendation 2,
// uploads a PDF, posts progress (a second session's stale form is refused with
// nothing lost) and claims; the overseer returns the claim with a comment;
// the caseworker adds evidence and claims again; the overseer verifies; the
// public record shows it verified and the history names each person. axe-core runs on every workspace page, screenshots are taken at
// 375 and 1280 px, and the server's log is searched for every secret used.
//
//   RECTRACK_URL=http://127.0.0.1:8080 SERVE_OUT=serve.out SERVE_LOG=serve.log \
//   SCREENSHOTS=dir node workspace.test.mjs
import { chromium } from "playwright-core";
import { readFileSync, mkdirSync, writeFileSync } from "node:fs";
import { createHmac } from "node:crypto";
import { createRequire } from "node:module";
import assert from "node:assert/strict";

const base = process.env.RECTRACK_URL ?? "http://127.0.0.1:8080";
const shots = process.env.SCREENSHOTS ?? "screenshots";
const out = readFileSync(process.env.SERVE_OUT, "utf8");
const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
mkdirSync(shots, { recursive: true });

// What `serve --demo` printed.
const after = (label) => out.slice(out.indexOf(label));
const field = (label, key) => after(label).match(new RegExp(`${key}: (\\S+)`))[1];
const iopc = {
  email: field("IOPC caseworker", "email"),
  password: field("IOPC caseworker", "password"),
  secret: field("IOPC caseworker", "authenticator secret \\(TOTP\\)"),
};

// RFC 6238 with SHA-1, six digits, 30-second steps, as authenticator apps do.
function base32(text) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const c of text.replace(/=+$/, "")) bits += alphabet.indexOf(c).toString(2).padStart(5, "0");
  const bytes = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(bytes);
}
function totp(secret, seconds) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(seconds / 30)));
  const mac = createHmac("sha1", base32(secret)).update(counter).digest();
  const offset = mac[19] & 15;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1000000).padStart(6, "0");
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu"],
});
const failures = [];
const check = (ok, message) => { if (!ok) failures.push(message); };
const secrets = [iopc.password, iopc.secret];

async function audit(page, name) {
  for (const width of [375, 1280]) {
    await page.setViewportSize({ width, height: 900 });
    await page.screenshot({ path: `${shots}/workspace-${name}-${width}.png`, fullPage: true });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    check(overflow <= 0, `${name} at ${width} px is ${overflow} px wider than the screen`);
  }
  await page.setViewportSize({ width: 1280, height: 900 });
  const violations = await page.evaluate(async (source) => {
    if (!window.axe) { (0, eval)(source); }
    const result = await window.axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"] } });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length, help: v.help }));
  }, axeSource);
  for (const v of violations) {
    check(!["serious", "critical"].includes(v.impact), `axe on workspace ${name}: ${v.impact} ${v.id} (${v.help}), ${v.nodes} node(s)`);
  }
  console.log(`axe workspace ${name}: ${violations.length === 0 ? "no violations" : violations.map((v) => `${v.impact} ${v.id} ×${v.nodes}`).join(", ")}`);
}

try {
  // ---- The IOPC caseworker signs in with a second factor ----------------------
  const iopcContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const caseworker = await iopcContext.newPage();
  caseworker.on("request", (request) => {
    if (!request.url().startsWith(base)) failures.push(`a page asked for ${request.url()}`);
  });
  await caseworker.goto(base + "/");
  await caseworker.getByRole("link", { name: "Sign in" }).click();
  await caseworker.waitForURL(/\/workspace\/sign-in/);
  await audit(caseworker, "sign-in");
  await caseworker.getByRole("button", { name: "Sign in" }).click();
  assert.match(await caseworker.title(), /^Error: Sign in/);
  assert.equal(await caseworker.locator(".error-summary a").count(), 2, "both empty fields are named");
  await audit(caseworker, "sign-in-errors");
  await caseworker.getByLabel("Email address").fill(iopc.email);
  await caseworker.getByLabel("Password").fill(iopc.password);
  await caseworker.getByRole("button", { name: "Sign in" }).click();
  await caseworker.waitForURL(/\/workspace\/sign-in\/code$/);
  await audit(caseworker, "code");
  // The demo set its factor up moments ago with the current step's code,
  // which works once: the next step's is also accepted (one step of skew).
  await caseworker.getByLabel("Code").fill(totp(iopc.secret, Date.now() / 1000 + 30));
  await caseworker.getByRole("button", { name: "Continue" }).click();
  await caseworker.waitForURL(/\/workspace$/);
  assert.match(await caseworker.locator(".signed-in-who").textContent(), /Demo IOPC caseworker/);
  await audit(caseworker, "dashboard-overseer");
  const cookies = await iopcContext.cookies();
  const session = cookies.find((c) => c.name === "__Host-rectrack-session");
  assert.ok(session, "a session cookie");
  assert.ok(session.httpOnly && session.secure && session.sameSite === "Lax" && session.path === "/", JSON.stringify(session));
  secrets.push(session.value);
  await caseworker.getByRole("link", { name: "Your account" }).click();
  await audit(caseworker, "account");
  await caseworker.getByRole("link", { name: "Change your password" }).click();
  await caseworker.getByRole("button", { name: "Change password" }).click();
  assert.match(await caseworker.title(), /^Error: /);
  await audit(caseworker, "password-errors");
  console.log("journey: IOPC caseworker signs in with password and TOTP, sees the dashboard and account: ok");

  // ---- The MPS caseworker is invited, sets a password, signs in ---------------
  await caseworker.getByRole("link", { name: "People" }).click();
  await caseworker.getByRole("button", { name: "Invite" }).click();
  assert.match(await caseworker.title(), /^Error: People/);
  await audit(caseworker, "people-errors");
  await caseworker.getByLabel("Name").fill("Priya Sharma");
  await caseworker.getByLabel("Email address").fill("priya.sharma@met.example");
  await caseworker.getByLabel("Organisation").selectOption("mps");
  await caseworker.getByLabel("staff (recipient)").check();
  await caseworker.getByRole("button", { name: "Invite" }).click();
  await audit(caseworker, "invited");
  const invited = { invitation_url: await caseworker.getByLabel("Invitation link").inputValue() };
  const link = invited.invitation_url;
  assert.ok(link.startsWith(base + "/workspace/invitations/inv_"), link);
  secrets.push(link.slice(link.lastIndexOf("/") + 1));
  const mpsContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const force = await mpsContext.newPage();
  await force.goto(link);
  assert.match(await force.locator("main").textContent(), /Metropolitan Police Service/);
  await audit(force, "invitation");
  await force.getByLabel("Password", { exact: true }).fill("password1");
  await force.getByLabel("Type the password again").fill("password1");
  await force.getByRole("button", { name: "Set password and sign in" }).click();
  assert.match(await force.locator(".error-summary").textContent(), /too easy to guess/);
  check(await force.getByLabel("Password", { exact: true }).inputValue() === "", "a refused password is not sent back");
  await audit(force, "invitation-errors");
  const password = "kettle orbit lantern";
  secrets.push(password);
  await force.getByLabel("Password", { exact: true }).fill(password);
  await force.getByLabel("Type the password again").fill(password);
  await force.getByRole("button", { name: "Set password and sign in" }).click();
  await force.waitForURL(/\/workspace$/);
  assert.match(await force.locator(".signed-in-who").textContent(), /Priya Sharma/);
  const accepted = await force.locator("#accepted + * tbody tr, #accepted ~ .table-wrap tbody tr").count();
  check(accepted === 15, `the MPS's dashboard lists its 15 accepted recommendations (${accepted})`);
  await audit(force, "dashboard-recipient");
  secrets.push((await mpsContext.cookies()).find((c) => c.name === "__Host-rectrack-session").value);
  console.log("journey: MPS caseworker invited, refused a weak password, sets a good one: ok");

  // ---- Recommendation 2 from plan to verified ----------------------------------
  await force.getByRole("link", { name: /^2\. / }).click();
  await force.waitForURL(/\/workspace\/assignments\//);
  const assignmentUrl = force.url();
  await audit(force, "assignment");
  for (const [title, due] of [["Publish the anti-racism action plan", "2027-03-31"], ["Train every supervisor on the plan", "2027-09-30"]]) {
    await force.getByLabel("What is to be done").fill(title);
    await force.getByLabel("Due date", { exact: true }).fill(due);
    await force.getByRole("button", { name: "Add the milestone" }).click();
    assert.match(await force.locator(".notice").textContent(), /milestone has been added/);
  }
  const addEvidence = async (title, url) => {
    await force.getByLabel("A link to a published page").check();
    await force.getByLabel("Title", { exact: true }).first().fill(title);
    await force.getByLabel("Address of the page (for a link)").fill(url);
    await force.getByRole("button", { name: "Add the evidence" }).click();
    assert.match(await force.locator(".notice").textContent(), /evidence has been added/);
  };
  // A PDF, uploaded through the form; then its link downloads it.
  const pdf = `${shots}/action-plan.pdf`;
  writeFileSync(pdf, "%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n");
  await force.getByRole("button", { name: "Upload the document" }).click();
  assert.match(await force.locator(".error-summary").textContent(), /Choose the file/);
  await force.getByLabel("Title", { exact: true }).nth(1).fill("The published action plan");
  await force.getByLabel("The file").setInputFiles(pdf);
  await force.getByRole("button", { name: "Upload the document" }).click();
  assert.match(await force.locator(".notice").textContent(), /document has been added/);
  const href = await force.getByRole("link", { name: /action-plan\.pdf/ }).getAttribute("href");
  const download = await force.request.get(base + href);
  check(download.status() === 200, `the document downloads (${download.status()})`);
  check(/attachment/.test(download.headers()["content-disposition"] ?? ""), "the document comes as an attachment");
  check((await download.body()).toString().startsWith("%PDF-1.4"), "the document's bytes are those uploaded");
  await force.getByLabel("What has happened").fill("The action plan was published after consultation.");
  await force.getByLabel("Publish the anti-racism action plan", { exact: true }).check();
  await force.getByLabel("The published action plan").first().check();
  await force.getByRole("button", { name: "Post the update" }).click();
  assert.match(await force.locator(".notice").textContent(), /progress update has been posted/);

  // A milestone is marked done from its row.
  const first = force.locator("tr", { hasText: "Publish the anti-racism action plan" });
  await first.getByLabel(/^Status of/).selectOption("done");
  await first.getByRole("button", { name: /^Change/ }).click();
  assert.match(await force.locator(".notice").textContent(), /milestone has been changed/);
  assert.match(await force.locator("tr", { hasText: "Publish the anti-racism action plan" }).textContent(), /Done/);

  // Two sessions on one assignment: the later, stale form is refused and
  // keeps what was typed; nothing is lost.
  const second = await mpsContext.newPage();
  await second.goto(assignmentUrl);
  await force.getByLabel("What has happened").fill("First tab: supervisors booked on training.");
  await force.getByRole("button", { name: "Post the update" }).click();
  await second.getByLabel("What has happened").fill("Second tab: words that must not be lost.");
  await second.getByRole("button", { name: "Post the update" }).click();
  assert.match(await second.locator(".warning").textContent(), /Someone else changed this assignment/);
  assert.equal(await second.getByLabel("What has happened").inputValue(), "Second tab: words that must not be lost.");
  assert.match(await second.locator("main").textContent(), /First tab: supervisors booked on training\./);
  await audit(second, "assignment-conflict");
  await second.close();
  console.log("journey: two sessions on one assignment, the stale form refused with nothing lost: ok");

  const claim = async (summary) => {
    await force.getByLabel("What was done", { exact: true }).fill(summary);
    for (const box of await force.locator("form[action$='/claim'] input[type=checkbox]").all()) await box.check();
    await force.getByRole("button", { name: "Claim implementation" }).click();
    assert.match(await force.locator(".notice").textContent(), /claim of implementation has been recorded/);
  };
  await claim("The plan is published and in force.");

  // The overseer returns the claim, with the comment it requires.
  await caseworker.goto(assignmentUrl);
  assert.match(await caseworker.locator("#claims + ol").textContent(), /The plan is published and in force\.[\s\S]*Citing: The published action plan/);
  await caseworker.getByLabel("Returned for more work").check();
  await caseworker.getByRole("button", { name: "Record the review" }).click();
  assert.match(await caseworker.locator(".error-summary").textContent(), /comment/i);
  await audit(caseworker, "review-errors");
  await caseworker.getByLabel("Comment").fill("Show that supervisors have been trained.");
  await caseworker.getByRole("button", { name: "Record the review" }).click();
  assert.match(await caseworker.locator(".notice").textContent(), /review has been recorded/);

  // The caseworker adds evidence and claims again; the overseer verifies.
  await force.goto(assignmentUrl);
  await addEvidence("Training records", "https://www.met.police.uk/training-records");
  await claim("The plan is in force and every supervisor has been trained.");
  // The overseer finds it in the review queue, with the evidence to open.
  await caseworker.getByRole("link", { name: "Reviews" }).click();
  await caseworker.waitForURL(/\/workspace\/reviews$/);
  const queued = await caseworker.locator("main").textContent();
  assert.match(queued, /every supervisor has been trained/);
  assert.equal(await caseworker.getByRole("link", { name: "Training records" }).count(), 1, "the cited evidence is a link");
  await audit(caseworker, "reviews");
  await caseworker.locator(".queued", { hasText: "every supervisor has been trained" }).getByRole("link", { name: /^Review/ }).click();
  await caseworker.waitForURL(/\/workspace\/assignments\/.*#review$/);
  await caseworker.getByLabel("Verified as implemented").check();
  await caseworker.getByRole("button", { name: "Record the review" }).click();
  assert.match(await caseworker.locator(".notice").textContent(), /review has been recorded/);
  assert.match(await caseworker.locator("main").textContent(), /Verified as implemented/);

  // The public record shows it verified; the history names each person.
  const publicPage = await (await browser.newContext()).newPage();
  await publicPage.goto(base + "/reports/operation-hotton?status=verified");
  assert.equal(await publicPage.locator("tbody tr").count(), 1, "one recommendation is verified on the public record");
  const history = await caseworker.locator("#history + ol").textContent();
  assert.match(history, /Review verified by Demo IOPC caseworker/);
  assert.match(history, /Implementation claimed by Priya Sharma/);
  assert.match(history, /Milestone planned by Priya Sharma/);
  console.log("journey: milestones, evidence, progress, claim, returned, claimed again, review queue, verified, public: ok");

  // ---- The oversight body's other pages -------------------------------------------
  await caseworker.getByRole("link", { name: "Reports" }).click();
  await audit(caseworker, "reports");
  await caseworker.getByRole("link", { name: /Operation Hotton/ }).first().click();
  await caseworker.waitForURL(/\/workspace\/reports\/operation-hotton$/);
  await caseworker.getByRole("button", { name: "Add the recommendation" }).click();
  assert.match(await caseworker.title(), /^Error: /);
  assert.ok(await caseworker.locator(".error-summary a[href='#recommendation-recipients']").count() === 1, "the missing recipient is named");
  const named = await caseworker.locator(".error-summary a").evaluateAll((links) => links.map((a) => a.getAttribute("href")));
  assert.deepEqual(named, ["#recommendation-title", "#recommendation-body", "#recommendation-recipients", "#recommendation-issued_on"], "every error, in the form's order");
  await audit(caseworker, "report-errors");
  await caseworker.getByRole("link", { name: "Organisations" }).click();
  await audit(caseworker, "organisations");
  await caseworker.getByRole("link", { name: "Import" }).click();
  await audit(caseworker, "import");
  await caseworker.getByLabel("File").setInputFiles({
    name: "record.csv",
    mimeType: "text/csv",
    buffer: Buffer.from("report,number,recipient,report_title,report_issued_by,report_published_on,title,body,issued_on\nop-web,1,mps,A report brought in,iopc,2023-05-01,Vet again,Vet every officer again.,2023-05-01\n"),
  });
  await caseworker.getByRole("button", { name: "See what it would do" }).click();
  await caseworker.getByRole("heading", { name: "What the import would do" }).waitFor();
  assert.equal(await caseworker.locator("#rows + div tbody tr").count(), 1, "the preview shows its one row");
  await audit(caseworker, "import-preview");
  await caseworker.getByRole("button", { name: "Import the file" }).click();
  assert.match(await caseworker.locator(".notice").textContent(), /The file is imported/);
  await caseworker.getByRole("link", { name: "API tokens" }).click();
  await caseworker.getByLabel("Label").fill("MPS case system");
  await caseworker.getByLabel("Acts for").selectOption("mps");
  await caseworker.getByLabel("staff (recipient)").check();
  await caseworker.getByRole("button", { name: "Create the token" }).click();
  const madeToken = (await caseworker.locator(".secret code").textContent()).trim();
  secrets.push(madeToken);
  await audit(caseworker, "token-created");
  await caseworker.getByRole("button", { name: /Revoke the token MPS case system/ }).click();
  assert.match(await caseworker.locator(".notice").textContent(), /token is revoked/);
  await caseworker.getByRole("link", { name: "Your account" }).click();
  await caseworker.getByRole("link", { name: "Manage your second factor" }).click();
  assert.match(await caseworker.locator("main").textContent(), /cannot be removed/);
  await audit(caseworker, "two-factor-manage");
  console.log("journey: reports, organisations, import previewed then written, a token made and revoked, second factor page: ok");
  // The link worked once.
  const again = await (await browser.newContext()).newPage();
  const reused = await again.goto(link);
  check(reused.status() === 404, `a used invitation answers ${reused.status()}`);
  await force.getByRole("button", { name: "Sign out" }).click();
  await force.waitForURL(/signed_out=1/);
  assert.match(await force.locator(".notice").textContent(), /You have signed out/);
  // Back after sign-out: the workspace is closed.
  await force.goto(base + "/workspace");
  check(/\/workspace\/sign-in/.test(force.url()), `after sign-out /workspace went to ${force.url()}`);
  console.log("journey: MPS caseworker signs out, and the workspace is closed to that browser: ok");

  // ---- No secret in any log line ------------------------------------------------
  const log = readFileSync(process.env.SERVE_LOG, "utf8");
  check(log.includes("/workspace/invitations/…"), "the log shows invitation paths, secret left out");
  for (const secret of secrets) {
    check(!log.includes(secret), `the server's log holds a secret (${secret.slice(0, 6)}…)`);
  }
  console.log(`log: ${log.split("\n").length} lines, none holding any of ${secrets.length} secrets used`);
} catch (error) {
  failures.push(error.stack ?? String(error));
} finally {
  await browser.close();
}

if (failures.length > 0) {
  console.error(`workspace browser tests failed:\n- ${failures.join("\n- ")}`);
  process.exit(1);
}
console.log(`workspace browser tests passed; screenshots in ${shots}`);
