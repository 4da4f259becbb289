// The mail catcher's page: lists caught mail from Mailpit's v1 API, follows
// /api/events for live updates, and shows one message at a time.
//
// Message data only ever reaches the document through textContent,
// attributes set with setAttribute, or URLs built with encodeURIComponent;
// never through innerHTML.  A message's HTML is shown by the server's
// /view/{ID}.html route inside a sandboxed iframe (no scripts, no origin).

const PAGE_SIZE = 50;
const RECONNECT_MAX_MS = 15000;

const $ = (id) => document.getElementById(id);

const state = {
  messages: [],      // summaries shown, newest first
  total: 0,          // messages matching the search (all without one)
  unread: 0,         // unread messages in the mailbox
  query: "",
  selected: null,    // ID of the open message
  tab: "html",
  loaded: {},        // tab name -> true once fetched for the open message
};

// ---- API ----------------------------------------------------------------

async function api(method, path, body) {
  const options = { method, headers: { Accept: "application/json" } };
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const response = await fetch(path, options);
  if (!response.ok) {
    const text = (await response.text()).trim();
    throw new Error(`${method} ${path}: ${response.status} ${text}`);
  }
  const type = response.headers.get("Content-Type") || "";
  return type.includes("json") ? response.json() : response.text();
}

const messageURL = (id, tail = "") => `/api/v1/message/${encodeURIComponent(id)}${tail}`;

function listURL(start, limit) {
  const params = new URLSearchParams({ start: String(start), limit: String(limit) });
  if (state.query) {
    params.set("query", state.query);
    return `/api/v1/search?${params}`;
  }
  return `/api/v1/messages?${params}`;
}

// ---- formatting ---------------------------------------------------------

function formatSize(bytes) {
  if (!Number.isFinite(bytes)) return "";
  if (bytes < 1024) return `${bytes} B`;
  const units = ["kB", "MB", "GB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit += 1; }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

function formatTime(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  const now = new Date();
  if (date.toDateString() === now.toDateString()) {
    return date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
  }
  return date.toLocaleDateString([], { month: "short", day: "numeric", year: "numeric" });
}

function formatAddress(address) {
  if (!address) return "";
  return address.Name ? `${address.Name} <${address.Address}>` : address.Address || "";
}

function addressList(addresses) {
  return (addresses || []).map(formatAddress).join(", ");
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

let toastTimer = null;
function toast(text) {
  const box = $("toast");
  box.textContent = text;
  box.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { box.hidden = true; }, 4000);
}

function report(error) {
  console.error(error);
  toast(error.message || String(error));
}

// ---- the list -----------------------------------------------------------

function renderRow(summary) {
  const row = element("li", "row");
  row.setAttribute("role", "option");
  row.dataset.id = summary.ID;
  row.classList.toggle("unread", !summary.Read);
  row.setAttribute("aria-selected", String(summary.ID === state.selected));

  row.append(element("span", "dot"));
  const from = element("span", "from", summary.From ? (summary.From.Name || summary.From.Address) : "");
  const to = (summary.To || []).map((address) => address.Name || address.Address).join(", ");
  if (to) from.append(element("span", "to", `  → ${to}`));
  from.title = `${formatAddress(summary.From)} → ${addressList(summary.To)}`;
  row.append(from);

  const time = element("time", "time", formatTime(summary.Created));
  time.dateTime = summary.Created || "";
  time.title = summary.Created ? new Date(summary.Created).toString() : "";
  row.append(time);

  const subject = element("span", "subject");
  if (summary.Attachments > 0) {
    const clip = element("span", "clip");
    clip.title = `${summary.Attachments} attachment${summary.Attachments === 1 ? "" : "s"}`;
    clip.setAttribute("aria-label", clip.title);
    subject.append(clip);
  }
  if (summary.Subject) subject.append(summary.Subject);
  else subject.append(element("span", "no-subject", "(no subject)"));
  row.append(subject);

  row.append(element("span", "size", formatSize(summary.Size)));
  row.append(element("span", "snippet", summary.Snippet || ""));
  return row;
}

function renderList() {
  const list = $("messages");
  list.replaceChildren(...state.messages.map(renderRow));
  const shown = state.messages.length;
  $("count").textContent = state.query
    ? `${state.total} match${state.total === 1 ? "" : "es"}`
    : `${state.total} message${state.total === 1 ? "" : "s"}`;
  $("unread").hidden = state.unread === 0;
  $("unread").textContent = `${state.unread} unread`;
  $("empty").hidden = shown > 0;
  $("empty").firstChild.textContent = state.query ? "Nothing matches this search." : "No messages yet.";
  $("more").hidden = shown >= state.total;
  document.title = state.unread ? `(${state.unread}) Mail catcher · gostd-smtp` : "Mail catcher · gostd-smtp";
}

let listGeneration = 0;
// append: the next page; keep: as many as shown now (after a change elsewhere).
async function loadList({ append = false, keep = false } = {}) {
  const generation = ++listGeneration;
  const start = append ? state.messages.length : 0;
  const limit = keep ? Math.max(PAGE_SIZE, state.messages.length) : PAGE_SIZE;
  const page = await api("GET", listURL(start, limit));
  if (generation !== listGeneration) return;  // a newer search has started
  const known = new Set(append ? state.messages.map((m) => m.ID) : []);
  const fresh = page.messages.filter((m) => !known.has(m.ID));
  state.messages = append ? state.messages.concat(fresh) : page.messages;
  // Mailpit: total/unread count the mailbox, messages_count the matches.
  state.total = page.messages_count ?? page.total;
  state.unread = page.unread;
  renderList();
}

function updateSummary(id, change) {
  const summary = state.messages.find((m) => m.ID === id);
  if (!summary) return;
  if (change.Read !== undefined && summary.Read !== change.Read) {
    state.unread += change.Read ? -1 : 1;
  }
  Object.assign(summary, change);
  const row = $("messages").querySelector(`[data-id="${CSS.escape(id)}"]`);
  if (row) row.replaceWith(renderRow(summary));
}

// ---- the open message ---------------------------------------------------

function selectTab(name) {
  state.tab = name;
  for (const tab of document.querySelectorAll(".tabs [data-tab]")) {
    tab.setAttribute("aria-selected", String(tab.dataset.tab === name));
  }
  for (const panel of document.querySelectorAll(".panels [data-panel]")) {
    panel.classList.toggle("active", panel.dataset.panel === name);
  }
  if (state.selected) loadTab(state.selected, name).catch(report);
}

async function loadTab(id, name) {
  if (state.loaded[name]) return;
  state.loaded[name] = true;
  try {
    await fillTab(id, name);
  } catch (error) {
    if (state.selected === id) state.loaded[name] = false;  // try again on the next click
    throw error;
  }
}

async function fillTab(id, name) {
  if (name === "headers") {
    const headers = await api("GET", messageURL(id, "/headers"));
    if (state.selected !== id) return;
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
    if (state.selected !== id) return;
    $("m-raw").textContent = raw;
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
      node.append(element("span", "address", `<${address.Address}>`));
    } else {
      node.append(address.Address || "");
    }
  }
  if (rowClass) {
    for (const item of document.querySelectorAll(`.meta .${rowClass}`)) item.hidden = list.length === 0;
  }
}

let openGeneration = 0;
async function openMessage(id, { pushHistory = true } = {}) {
  const generation = ++openGeneration;
  const message = await api("GET", messageURL(id));
  if (generation !== openGeneration) return;
  state.selected = message.ID;
  state.loaded = {};
  if (pushHistory && location.hash !== `#${encodeURIComponent(message.ID)}`) {
    history.pushState(null, "", `#${encodeURIComponent(message.ID)}`);
  }
  for (const row of $("messages").children) {
    row.setAttribute("aria-selected", String(row.dataset.id === message.ID));
  }
  updateSummary(message.ID, { Read: true });
  renderList();

  $("placeholder").hidden = true;
  $("message").hidden = false;
  document.querySelector(".layout").classList.add("reading");
  const subject = $("m-subject");
  subject.textContent = message.Subject || "(no subject)";
  subject.classList.toggle("no-subject", !message.Subject);
  showSMIME($("m-smime"), message.SMIME);
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
  selectTab(hasHTML ? (state.tab === "text" || state.tab === "html" ? state.tab : "html")
                    : (state.tab === "html" ? "text" : state.tab));
}

function showHTML(id, remote) {
  const frame = $("m-html");
  const button = $("remote");
  button.hidden = id === null;
  button.setAttribute("aria-pressed", String(remote));
  button.textContent = remote ? "Remote content loaded" : "Load remote content";
  button.disabled = remote;
  frame.src = id === null ? "about:blank" : `/view/${encodeURIComponent(id)}.html${remote ? "?remote=1" : ""}`;
}

function closeMessage() {
  openGeneration += 1;
  state.selected = null;
  $("message").hidden = true;
  $("placeholder").hidden = false;
  $("m-html").src = "about:blank";
  document.querySelector(".layout").classList.remove("reading");
  for (const row of $("messages").children) row.setAttribute("aria-selected", "false");
  if (location.hash) history.pushState(null, "", location.pathname + location.search);
}

function removeFromList(ids) {
  const gone = new Set(ids);
  const before = state.messages.length;
  for (const m of state.messages) {
    if (gone.has(m.ID) && !m.Read) state.unread -= 1;
  }
  state.messages = state.messages.filter((m) => !gone.has(m.ID));
  state.total = Math.max(0, state.total - (before - state.messages.length));
  if (state.selected && gone.has(state.selected)) closeMessage();
  renderList();
}

// ---- actions --------------------------------------------------------------

async function deleteMessage(id) {
  await api("DELETE", "/api/v1/messages", { IDs: [id] });
  removeFromList([id]);
}

async function markUnread(id) {
  await api("PUT", "/api/v1/messages", { IDs: [id], Read: false });
  updateSummary(id, { Read: false });
  closeMessage();
  renderList();
}

async function deleteAll() {
  const what = state.query ? `all ${state.total} matching messages` : `all ${state.total} messages`;
  if (!window.confirm(`Delete ${what}?`)) return;
  if (state.query) {
    await api("DELETE", `/api/v1/search?${new URLSearchParams({ query: state.query })}`);
  } else {
    await api("DELETE", "/api/v1/messages");
  }
  closeMessage();
  await loadList();
}

async function markAllRead() {
  const ids = state.query ? state.messages.map((m) => m.ID) : undefined;
  await api("PUT", "/api/v1/messages", ids ? { IDs: ids, Read: true } : { Read: true });
  await loadList({ keep: true });
}

// ---- live updates -------------------------------------------------------

let reloadTimer = null;
function reloadSoon() {
  clearTimeout(reloadTimer);
  reloadTimer = setTimeout(() => loadList({ keep: true }).catch(report), 150);
}

function onEvent(event) {
  const data = event.Data;
  switch (event.Type) {
    case "new":
      if (state.query) { reloadSoon(); break; }
      if (state.messages.some((m) => m.ID === data.ID)) break;
      state.messages.unshift(data);
      state.total += 1;
      if (!data.Read) state.unread += 1;
      renderList();
      break;
    case "update":
      if (data && data.ID !== undefined) updateSummary(data.ID, { Read: data.Read });
      else reloadSoon();
      break;
    case "delete":
      if (data && data.ID !== undefined) removeFromList([data.ID]);
      else if (data && Array.isArray(data.IDs)) removeFromList(data.IDs);
      else reloadSoon();
      break;
    case "truncate":
      closeMessage();
      state.messages = [];
      state.total = 0;
      state.unread = 0;
      renderList();
      break;
    case "stats":
      // Sent after every change.  Figures other than ours mean a change
      // that came without per-message events (all marked read, say).
      if (data && (data.Unread !== state.unread || (!state.query && data.Total !== state.total))) {
        reloadSoon();
      }
      break;
    default:  // "prune" and anything newer: ask again
      reloadSoon();
  }
}

function setLive(mode) {
  const live = $("live");
  live.dataset.state = mode;
  $("live-text").textContent = mode;
  live.title = `Live updates: ${mode}`;
}

function connectEvents(delay = 500) {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const socket = new WebSocket(`${scheme}//${location.host}/api/events`);
  let opened = false;
  socket.addEventListener("open", () => {
    opened = true;
    setLive("live");
    // Anything that arrived while we were away.
    loadList({ keep: true }).catch(report);
  });
  socket.addEventListener("message", (message) => {
    try {
      onEvent(JSON.parse(message.data));
    } catch (error) {
      report(error);
    }
  });
  socket.addEventListener("close", () => {
    setLive("offline");
    const next = opened ? 500 : Math.min(delay * 2, RECONNECT_MAX_MS);
    setTimeout(() => connectEvents(next), opened ? 500 : delay);
  });
}

// ---- wiring ---------------------------------------------------------------

function selectedIndex() {
  return state.messages.findIndex((m) => m.ID === state.selected);
}

function wire() {
  $("messages").addEventListener("click", (event) => {
    const row = event.target.closest(".row");
    if (row) openMessage(row.dataset.id).catch(report);
  });
  $("messages").addEventListener("keydown", (event) => {
    if (event.key !== "ArrowDown" && event.key !== "ArrowUp") return;
    event.preventDefault();
    const index = selectedIndex() + (event.key === "ArrowDown" ? 1 : -1);
    const next = state.messages[Math.max(0, Math.min(index, state.messages.length - 1))];
    if (next) {
      openMessage(next.ID).catch(report);
      const row = $("messages").querySelector(`[data-id="${CSS.escape(next.ID)}"]`);
      if (row) row.scrollIntoView({ block: "nearest" });
    }
  });
  for (const tab of document.querySelectorAll(".tabs [data-tab]")) {
    tab.addEventListener("click", () => selectTab(tab.dataset.tab));
  }
  $("remote").addEventListener("click", () => {
    if (state.selected) {
      showHTML(state.selected, true);
      selectTab("html");
    }
  });
  let searchTimer = null;
  const runSearch = () => {
    clearTimeout(searchTimer);
    const query = $("search").value.trim();
    if (query === state.query) return;
    state.query = query;
    loadList().catch(report);
  };
  $("search").addEventListener("input", () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(runSearch, 300);
  });
  $("search-form").addEventListener("submit", (event) => {
    event.preventDefault();
    runSearch();
  });
  $("more").addEventListener("click", () => loadList({ append: true }).catch(report));
  $("delete-all").addEventListener("click", () => deleteAll().catch(report));
  $("mark-all-read").addEventListener("click", () => markAllRead().catch(report));
  $("m-back").addEventListener("click", () => closeMessage());
  $("m-unread").addEventListener("click", () => {
    if (state.selected) markUnread(state.selected).catch(report);
  });
  $("m-delete").addEventListener("click", () => {
    if (state.selected) deleteMessage(state.selected).catch(report);
  });
  window.addEventListener("popstate", () => {
    const id = decodeURIComponent(location.hash.slice(1));
    if (id) openMessage(id, { pushHistory: false }).catch(report);
    else closeMessage();
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "/" && document.activeElement !== $("search")) {
      event.preventDefault();
      $("search").focus();
    } else if (event.key === "Escape" && state.selected) {
      closeMessage();
    }
  });
}

wire();
selectTab("html");
loadList().catch(report);
connectEvents();
if (location.hash.length > 1) {
  openMessage(decodeURIComponent(location.hash.slice(1)), { pushHistory: false }).catch(report);
}
