// Devices page: keeps the gateway and device tables and the event feed live.
import { clock, connectLive, t } from "./live.js";

const FEED_ROWS = 100;
const feed = document.querySelector("#feed tbody");
const devices = document.querySelector("#devices tbody");
const feedState = document.getElementById("feed-state");
const toast = document.getElementById("toast");

function setBadge(badge, online) {
  badge.className = `badge ${online ? "on" : "off"}`;
  badge.textContent = t(online ? "state.online" : "state.offline");
}

function details(event) {
  const d = event.data;
  return d.uid ?? d.card ?? d.state ?? d.reason ?? (d.uptime_s !== undefined ? `${Math.round(d.uptime_s)} s` : "");
}

function deviceRow(site, gateway, device) {
  const key = `${site}/${gateway}/${device}`;
  let row = devices.querySelector(`tr[data-key="${CSS.escape(key)}"]`);
  if (!row) {
    row = document.getElementById("device-row").content.firstElementChild.cloneNode(true);
    row.dataset.key = key;
    row.cells[0].textContent = device;
    row.cells[2].textContent = gateway;
    const button = row.querySelector("button");
    button.dataset.path = key;
    button.textContent = t("devices.identify");
    setBadge(row.querySelector(".badge"), true);
    devices.append(row);
    document.getElementById("no-devices").hidden = true;
  }
  return row;
}

function onEvent(event) {
  const row = document.createElement("tr");
  row.className = `kind-${event.kind}`;
  for (const text of [clock(event.ts), event.device, t(`kind.${event.kind}`), details(event)]) {
    row.insertCell().textContent = text;
  }
  row.cells[0].className = "time";
  row.cells[3].className = "details";
  feed.prepend(row);
  while (feed.rows.length > FEED_ROWS) feed.deleteRow(-1);
  const device = deviceRow(event.site, event.gateway, event.device);
  device.querySelector(".time").textContent = clock(event.ts);
}

function onDeviceStatus(message) {
  const row = deviceRow(message.site, message.gateway, message.device);
  setBadge(row.querySelector(".badge"), message.online);
  row.querySelector(".reason").textContent = message.reason ?? "";
  if (message.kind) row.querySelector(".kind").textContent = t(`device_kind.${message.kind}`);
}

function onGatewayStatus(message) {
  const row = document.querySelector(`#gateways tr[data-key="${CSS.escape(`${message.site}/${message.gateway}`)}"]`);
  if (row) setBadge(row.querySelector(".badge"), message.online);
}

function onCommandAnswered(message) {
  toast.textContent = `${message.device}: ${t(`command.${message.state}`)} ${message.reason ?? ""}`;
}

const circulation = document.querySelector("#circulation tbody");
const CIRCULATION = new Set(["LoanMade", "LoanReturned", "LoanRenewed", "HoldTrapped"]);

function onCirculation(message) {
  if (!circulation) return; // this account does not circulate
  const row = circulation.insertRow(0);
  row.className = `circ-${message.type}`;
  const at = message.at ?? new Date().toISOString();
  for (const text of [clock(at), t(`circ.${message.type}`), message.barcode, message.title]) {
    row.insertCell().textContent = text;
  }
  row.cells[0].className = "time";
  while (circulation.rows.length > FEED_ROWS) circulation.deleteRow(-1);
  document.getElementById("no-circulation").hidden = true;
}

connectLive(
  (message) => {
    if (message.type === "EventReceived") onEvent(message.event);
    else if (CIRCULATION.has(message.type)) onCirculation(message);
    else if (message.type === "DeviceStatusChanged") onDeviceStatus(message);
    else if (message.type === "GatewayStatusChanged") onGatewayStatus(message);
    else if (message.type === "CommandAnswered") onCommandAnswered(message);
  },
  (live) => {
    feedState.className = `badge ${live ? "on" : "off"}`;
    feedState.textContent = t(live ? "feed.live" : "feed.disconnected");
  },
);

devices.addEventListener("click", async (click) => {
  const button = click.target.closest("button.identify");
  if (!button) return;
  const response = await fetch(`/api/devices/${button.dataset.path}/identify`, { method: "POST" });
  const body = await response.json();
  toast.textContent = response.ok
    ? t("devices.identify_sent").replace("{device}", body.device)
    : (body.detail ?? response.statusText);
});
