// Circulation desk: a keyboard-wedge scanner types a code and Enter; each scan goes to the
// circulation API without reloading, and its outcome is added as a row.
import { t } from "./live.js";

const desk = document.getElementById("desk");
const zone = desk.dataset.timezone;
const mayOverride = desk.dataset.override === "yes";
const scan = document.getElementById("scan");
const form = document.getElementById("scan-form");
const scanLabel = document.getElementById("scan-label");
const results = document.querySelector("#results tbody");
const empty = document.getElementById("desk-empty");
const panel = document.getElementById("patron");
const nextPatron = document.getElementById("next-patron");
const printReceipt = document.getElementById("print-receipt");
const overrideTemplate = document.getElementById("override-template");

let card = null; // the patron being served in check-out mode
let sessionLoans = []; // loan ids made or renewed for that patron, for the receipt

const mode = () => document.querySelector("input[name=mode]:checked").value;
const day = (iso) => new Date(iso).toLocaleDateString("sv-SE", { timeZone: zone });
const money = (cents) => (cents / 100).toFixed(2);
const tr = (key, fallback) => { const text = t(key); return text === key ? fallback : text; };

function labelScan() {
  const wantsCard = mode() === "checkout" && card === null;
  scanLabel.textContent = t(wantsCard ? "circulation.desk.scan_card" : "circulation.desk.scan_item");
  nextPatron.hidden = mode() !== "checkout" || card === null;
  printReceipt.hidden = card === null || sessionLoans.length === 0;
}

async function call(method, path, body) {
  const answer = await fetch(path, {
    method,
    headers: body ? { "Content-Type": "application/json" } : {},
    body: body ? JSON.stringify(body) : undefined,
    credentials: "same-origin",
  });
  let data = null;
  try { data = await answer.json(); } catch { data = null; }
  return { status: answer.status, data };
}

function cell(row, text, className) {
  const td = row.insertCell();
  td.textContent = text ?? "";
  if (className) td.className = className;
  return td;
}

function addRow(action, barcode) {
  empty.hidden = true;
  const row = results.insertRow(0);
  row.dataset.barcode = barcode;
  row.dataset.action = action;
  cell(row, t(`circulation.desk.mode.${action}`));
  cell(row, "", "title");
  cell(row, barcode, "mono");
  cell(row, t("circulation.desk.working"), "outcome");
  return row;
}

function problem(status, data) {
  const detail = data?.detail;
  if (status === 404) return `${t("circulation.desk.not_found")}: ${detail}`;
  if (status === 403) return `${t("circulation.desk.forbidden")}: ${detail}`;
  if (status === 422) return t("circulation.desk.bad_scan");
  return `${t("circulation.desk.failed")} (${status})`;
}

function showRefusal(row, detail, retry) {
  row.className = "refused";
  const outcome = row.cells[3];
  outcome.textContent = "";
  const list = document.createElement("ul");
  list.className = "reasons";
  for (const reason of detail.reasons) {
    const item = document.createElement("li");
    item.dataset.code = reason.code;
    item.textContent = `${tr(`circulation.reason.${reason.code}`, reason.message)} `;
    const code = document.createElement("span");
    code.className = "code";
    code.textContent = `(${reason.code})`;
    item.append(code);
    list.append(item);
  }
  outcome.append(list);
  if (!mayOverride || !retry) return;
  const button = document.createElement("button");
  button.type = "button";
  button.className = "override";
  button.textContent = t("circulation.desk.override");
  outcome.append(button);
  button.addEventListener("click", () => {
    button.hidden = true;
    const overrideForm = overrideTemplate.content.firstElementChild.cloneNode(true);
    outcome.append(overrideForm);
    overrideForm.elements.override_reason.focus();
    overrideForm.addEventListener("submit", (event) => {
      event.preventDefault();
      const reason = overrideForm.elements.override_reason.value.trim();
      if (!reason) return;
      overrideForm.remove();
      outcome.textContent = t("circulation.desk.working");
      retry({ overrides: detail.reasons.map((r) => r.code), override_reason: reason });
      scan.focus();
    });
  });
}

function showLoan(row, loan, extra) {
  row.className = "done";
  row.dataset.loan = loan.loan_id;
  row.cells[1].textContent = loan.title;
  const outcome = row.cells[3];
  outcome.textContent = "";
  const due = document.createElement("span");
  due.className = "due";
  due.textContent = t("circulation.desk.due_on").replace("{date}", day(loan.due_at));
  outcome.append(due);
  if (extra) outcome.append(` · ${extra}`);
  if (loan.overridden?.length) {
    outcome.append(` · ${t("circulation.desk.overridden")}: ${loan.overridden.map((r) => r.code).join(", ")}`);
  }
}

async function showPatron(cardNumber) {
  const { status, data } = await call("GET", `/api/circulation/patron?card=${encodeURIComponent(cardNumber)}`);
  if (status !== 200) return { status, data };
  document.getElementById("patron-name").textContent = data.name;
  document.getElementById("patron-category").textContent = tr(`patrons.category.${data.category}`, data.category_name);
  document.getElementById("patron-balance").textContent = money(data.balance_cents);
  document.getElementById("patron-expires").textContent = data.expires_on;
  const blocks = document.getElementById("patron-blocks");
  blocks.textContent = "";
  if (data.blocks.length) {
    const list = document.createElement("ul");
    for (const block of data.blocks) {
      const item = document.createElement("li");
      const badge = document.createElement("span");
      badge.className = "badge off";
      badge.textContent = tr(`patrons.block.${block.kind}`, block.kind);
      item.append(badge, ` ${block.reason}`);
      list.append(item);
    }
    blocks.append(list);
  } else {
    const badge = document.createElement("span");
    badge.className = "badge on";
    badge.textContent = t("circulation.desk.may_borrow");
    blocks.append(badge);
  }
  const loans = document.querySelector("#patron-loans tbody");
  loans.textContent = "";
  for (const loan of data.loans) {
    const row = loans.insertRow();
    row.dataset.barcode = loan.barcode;
    cell(row, loan.title);
    cell(row, loan.barcode, "mono");
    cell(row, day(loan.due_at) + (loan.overdue ? ` · ${t("circulation.desk.overdue")}` : ""));
  }
  panel.hidden = false;
  return { status, data };
}

function forgetPatron() {
  card = null;
  sessionLoans = [];
  panel.hidden = true;
  labelScan();
}

async function checkout(barcode, row, more = {}) {
  const { status, data } = await call("POST", "/api/circulation/checkout", { card, barcode, ...more });
  if (status === 201) {
    showLoan(row, data);
    sessionLoans.push(data.loan_id);
    await showPatron(card);
  } else if (status === 409) {
    showRefusal(row, data.detail, (override) => checkout(barcode, row, override));
  } else {
    row.className = "refused";
    row.cells[3].textContent = problem(status, data);
  }
  labelScan();
}

async function renew(barcode, row, more = {}) {
  const { status, data } = await call("POST", "/api/circulation/renew", { barcode, ...more });
  if (status === 200) {
    showLoan(row, data, t("circulation.desk.renewals").replace("{count}", data.renewals));
    if (card !== null) { sessionLoans.push(data.loan_id); await showPatron(card); }
  } else if (status === 409) {
    showRefusal(row, data.detail, (override) => renew(barcode, row, override));
  } else {
    row.className = "refused";
    row.cells[3].textContent = problem(status, data);
  }
  labelScan();
}

async function checkin(barcode, row) {
  const { status, data } = await call("POST", "/api/circulation/checkin", { barcode });
  if (status !== 200) {
    row.className = "refused";
    row.cells[3].textContent = problem(status, data);
    return;
  }
  row.className = "done";
  const parts = [];
  if (data.loan) {
    row.cells[1].textContent = data.loan.title;
    parts.push(t("circulation.desk.returned"));
    if (data.loan.fine_cents) parts.push(t("circulation.desk.fine").replace("{amount}", money(data.loan.fine_cents)));
  } else {
    parts.push(t("circulation.desk.not_on_loan"));
  }
  const status_ = tr(`catalog.status.${data.item_status}`, data.item_status);
  parts.push(t("circulation.desk.route").replace("{status}", status_).replace("{branch}", data.route_to));
  row.cells[3].textContent = parts.join(" · ");
  if (card !== null) await showPatron(card);
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const code = scan.value.trim();
  scan.value = "";
  scan.focus();
  if (!code) return;
  const action = mode();
  if (action === "checkout" && card === null) {
    const { status, data } = await showPatron(code);
    if (status === 200) {
      card = code;
      sessionLoans = [];
    } else {
      const row = addRow("checkout", code);
      row.className = "refused";
      row.cells[3].textContent = problem(status, data);
    }
    labelScan();
    return;
  }
  const row = addRow(action, code);
  if (action === "checkout") await checkout(code, row);
  else if (action === "renew") await renew(code, row);
  else await checkin(code, row);
});

for (const radio of document.querySelectorAll("input[name=mode]")) {
  radio.addEventListener("change", () => { labelScan(); scan.focus(); });
}
nextPatron.addEventListener("click", () => { forgetPatron(); scan.focus(); });
printReceipt.addEventListener("click", () => {
  const query = new URLSearchParams({ card, loans: sessionLoans.join(",") });
  window.open(`/circulation/desk/receipt?${query}`, "_blank");
  scan.focus();
});
labelScan();
