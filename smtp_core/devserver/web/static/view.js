// The open message: its header block, attachments, and the tabs (HTML,
// text, headers, raw source, and the link, HTML and spam reports).  A
// message's HTML is shown by the server's /view/{ID}.html route inside a
// sandboxed iframe (no scripts, no origin).

import { api, messageURL } from "./api.js";
import { $, element, formatSize, tagButtons } from "./dom.js";
import { shownAddress } from "./idn.js";
import { mailbox, selected, updated } from "./mailbox.js";
import { REPORTS } from "./reports.js";

let tab = "html";
let loadedTabs = {};  // tab name -> true once fetched for the open message
let current = null;  // the open message's full data
export const currentMessage = () => current;

export function selectTab(name) {
  tab = name;
  for (const button of document.querySelectorAll(".tabs [data-tab]")) {
    button.setAttribute("aria-selected", String(button.dataset.tab === name));
  }
  for (const panel of document.querySelectorAll(".panels [data-panel]")) {
    panel.classList.toggle("active", panel.dataset.panel === name);
  }
  if (mailbox.selected) return loadTab(mailbox.selected, name);
  return Promise.resolve();
}

async function loadTab(id, name) {
  if (loadedTabs[name]) return;
  loadedTabs[name] = true;
  try {
    await fillTab(id, name);
  } catch (error) {
    if (mailbox.selected === id) loadedTabs[name] = false;  // try again on the next click
    throw error;
  }
}

async function fillTab(id, name) {
  if (name === "headers") {
    const headers = await api("GET", messageURL(id, "/headers"));
    if (mailbox.selected !== id) return;
    const rows = [];
    for (const [field, values] of Object.entries(headers)) {
      for (const value of values) {
        const row = element("tr");
        row.append(element("th", "", field), element("td", "", value));
        rows.push(row);
      }
    }
    $("m-headers").tBodies[0].replaceChildren(...rows);
  } else if (name === "raw") {
    const raw = await api("GET", messageURL(id, "/raw"));
    if (mailbox.selected !== id) return;
    $("m-raw").textContent = raw;
  } else if (REPORTS[name]) {
    const panel = document.querySelector(`.panels [data-panel="${name}"]`);
    panel.replaceChildren(element("p", "report-summary", "Checking…"));
    const nodes = await REPORTS[name](id);
    if (mailbox.selected === id) panel.replaceChildren(...nodes);
  }
}

function renderAttachments(id, message) {
  const items = [];
  const parts = [...(message.Attachments || []), ...(message.Inline || []).map((part) => ({ ...part, inline: true }))];
  for (const part of parts) {
    const link = element("a", part.inline ? "button attachment inline" : "button attachment");
    link.href = messageURL(id, `/part/${encodeURIComponent(part.PartID)}`);
    link.setAttribute("download", part.FileName || `part-${part.PartID}`);
    link.append(element("span", "clip"));
    link.append(element("span", "name", part.FileName || `part ${part.PartID}`));
    link.append(element("span", "bytes", part.inline ? `inline · ${formatSize(part.Size)}` : formatSize(part.Size)));
    link.title = `${part.ContentType}${part.inline ? ", shown in the message" : ""}: download`;
    const item = element("li");
    item.append(link);
    items.push(item);
  }
  $("m-attachments").replaceChildren(...items);
}

// S/MIME as the message claims it (the catcher does not check signatures).
function showSMIME(badge, smime) {
  const parts = [];
  if (smime && smime.Encrypted) parts.push("encrypted");
  if (smime && smime.Signed) parts.push(smime.SignedBy ? `signed by ${smime.SignedBy}` : "signed");
  badge.textContent = parts.join(", ");
  badge.hidden = parts.length === 0;
  badge.title = smime && smime.Signed ? "S/MIME signature (not verified by the catcher)" : "S/MIME";
}

function fillAddresses(node, addresses, rowClass) {
  node.replaceChildren();
  const list = Array.isArray(addresses) ? addresses : addresses ? [addresses] : [];
  for (const [index, address] of list.entries()) {
    if (index) node.append(", ");
    if (address.Name) {
      node.append(address.Name, " ");
      node.append(element("span", "address", `<${shownAddress(address.Address)}>`));
    } else {
      node.append(shownAddress(address.Address));
    }
  }
  if (rowClass) {
    for (const item of document.querySelectorAll(`.meta .${rowClass}`)) item.hidden = list.length === 0;
  }
}

let generation = 0;
export async function openMessage(id, { pushHistory = true } = {}) {
  const mine = ++generation;
  const message = await api("GET", messageURL(id));
  if (mine !== generation) return;
  current = message;
  loadedTabs = {};
  if (pushHistory && location.hash !== `#${encodeURIComponent(message.ID)}`) {
    history.pushState(null, "", `#${encodeURIComponent(message.ID)}`);
  }
  selected(message.ID);
  updated(message.ID, { Read: true });

  $("placeholder").hidden = true;
  $("message").hidden = false;
  document.querySelector(".layout").classList.add("reading");
  const subject = $("m-subject");
  subject.textContent = message.Subject || "(no subject)";
  subject.classList.toggle("no-subject", !message.Subject);
  showSMIME($("m-smime"), message.SMIME);
  showTags(message.Tags);
  fillAddresses($("m-from"), message.From);
  fillAddresses($("m-to"), message.To);
  fillAddresses($("m-cc"), message.Cc, "cc");
  fillAddresses($("m-bcc"), message.Bcc, "bcc");
  const date = new Date(message.Date);
  $("m-date").textContent = Number.isNaN(date.getTime()) ? ""
    : date.toLocaleString([], { dateStyle: "full", timeStyle: "long", hourCycle: "h23" });
  $("m-size").textContent = formatSize(message.Size);
  $("m-download").href = messageURL(message.ID, "/raw");
  $("m-download").setAttribute("download", `${message.ID}.eml`);
  renderAttachments(message.ID, message);

  $("m-text").textContent = message.Text || "";
  $("m-headers").tBodies[0].replaceChildren();
  $("m-raw").textContent = "";
  const hasHTML = Boolean(message.HTML);
  showHTML(hasHTML ? message.ID : null, false);
  document.querySelector('[data-tab="html"]').disabled = !hasHTML;
  document.querySelector('[data-tab="html-check"]').disabled = !hasHTML;
  const keep = hasHTML ? (tab === "html" || tab === "text" ? tab : "html")
    : (tab === "html" || tab === "html-check" ? "text" : tab);
  await selectTab(keep);
}

export function showHTML(id, remote) {
  const frame = $("m-html");
  const button = $("remote");
  button.hidden = id === null;
  button.setAttribute("aria-pressed", String(remote));
  button.textContent = remote ? "Remote content loaded" : "Load remote content";
  button.disabled = remote;
  frame.src = id === null ? "about:blank" : `/view/${encodeURIComponent(id)}.html${remote ? "?remote=1" : ""}`;
}

export function closeMessage() {
  generation += 1;
  current = null;
  $("message").hidden = true;
  $("placeholder").hidden = false;
  $("m-html").src = "about:blank";
  document.querySelector(".layout").classList.remove("reading");
  if (mailbox.selected) selected(null);
  if (location.hash) history.pushState(null, "", location.pathname + location.search);
}

// Messages deleted (here or elsewhere): close the open one if it is among them.
export function forget(ids) {
  if (mailbox.selected && ids.includes(mailbox.selected)) closeMessage();
}

function showTags(tags) {
  $("m-tags").replaceChildren(...tagButtons(tags));
  $("m-tags").hidden = !(tags && tags.length);
  $("m-tags-input").value = (tags || []).join(", ");
}

// The tag editor under the subject: the open message gets exactly the
// comma-separated tags typed (the server cleans them), then shows them.
export async function saveTags(text) {
  if (!current) return;
  const id = current.ID;
  const tags = text.split(",").map((tag) => tag.trim()).filter(Boolean);
  await api("PUT", "/api/v1/tags", { IDs: [id], Tags: tags });
  const message = await api("GET", messageURL(id));
  if (current && current.ID === id) showTags(message.Tags);
}
