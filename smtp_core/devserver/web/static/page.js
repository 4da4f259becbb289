// The mail catcher's page, the entry module: wires the controls and keys
// to the modules that own them, then loads the list and follows
// /api/events.
//
//   mailbox.js  the list's state and counts (their one owner)
//   list.js     the list, in pages       view.js     the open message and its tabs
//   reports.js  link/HTML/spam reports   release.js  the release dialog
//   events.js   live updates             api.js, dom.js  HTTP and DOM helpers
//
// Message data only ever reaches the document through textContent,
// attributes set with setAttribute, or URLs built with encodeURIComponent;
// never through innerHTML.

import { api, webUI } from "./api.js";
import { $, report } from "./dom.js";
import { connectEvents } from "./events.js";
import { loadList, scrollToRow } from "./list.js";
import { emptied, indexOf, mailbox, removed, searching, updated } from "./mailbox.js";
import { setUpRelease } from "./release.js";
import { closeMessage, forget, openMessage, saveTags, selectTab, showHTML } from "./view.js";

async function deleteMessage(id) {
  await api("DELETE", "/api/v1/messages", { IDs: [id] });
  forget([id]);
  removed([id]);
}

async function markUnread(id) {
  await api("PUT", "/api/v1/messages", { IDs: [id], Read: false });
  updated(id, { Read: false });
  closeMessage();
}

async function deleteAll() {
  const what = mailbox.query ? `all ${mailbox.total} matching messages` : `all ${mailbox.total} messages`;
  if (!window.confirm(`Delete ${what}?`)) return;
  if (mailbox.query) {
    await api("DELETE", `/api/v1/search?${new URLSearchParams({ query: mailbox.query })}`);
  } else {
    await api("DELETE", "/api/v1/messages");
  }
  closeMessage();
  emptied();
  await loadList();
}

async function markAllRead() {
  const ids = mailbox.query ? mailbox.messages.map((m) => m.ID) : undefined;
  await api("PUT", "/api/v1/messages", ids ? { IDs: ids, Read: true } : { Read: true });
  await loadList({ keep: true });
}

// The next (step 1) or previous (-1) message of the list, opened.
function move(step) {
  const index = indexOf(mailbox.selected) + step;
  const next = mailbox.messages[Math.max(0, Math.min(index, mailbox.messages.length - 1))];
  if (!next) return;
  openMessage(next.ID).catch(report);
  scrollToRow(next.ID);
}

const typing = () => ["INPUT", "TEXTAREA"].includes(document.activeElement?.tagName) ||
  $("release-dialog").open;

function onKey(event) {
  if (event.ctrlKey || event.metaKey || event.altKey || typing()) return;
  if (event.key === "/") {
    event.preventDefault();
    $("search").focus();
  } else if (event.key === "Escape" && mailbox.selected) {
    closeMessage();
  } else if (event.key === "j" || event.key === "ArrowDown") {
    event.preventDefault();
    move(1);
  } else if (event.key === "k" || event.key === "ArrowUp") {
    event.preventDefault();
    move(-1);
  } else if (event.key === "Delete" && mailbox.selected) {
    event.preventDefault();
    const index = indexOf(mailbox.selected);
    const after = mailbox.messages[index + 1] || mailbox.messages[index - 1];
    deleteMessage(mailbox.selected)
      .then(() => after && openMessage(after.ID))
      .catch(report);
  }
}

function wireSearch() {
  let searchTimer = null;
  const runSearch = () => {
    clearTimeout(searchTimer);
    const query = $("search").value.trim();
    if (query === mailbox.query) return;
    searching(query);
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
  $("m-tags-form").addEventListener("submit", (event) => {
    event.preventDefault();
    saveTags($("m-tags-input").value).catch(report);
  });
  // A tag (in the list or the message) searches its messages, as in Mailpit.
  document.addEventListener("click", (event) => {
    const tag = event.target.closest("button.tag[data-tag]");
    if (!tag) return;
    event.stopPropagation();  // a tag in a row does not also open the message
    const name = tag.dataset.tag;
    $("search").value = /\s/.test(name) ? `tag:"${name}"` : `tag:${name}`;
    runSearch();
  }, true);
}

function wire() {
  $("messages").addEventListener("click", (event) => {
    const row = event.target.closest(".row");
    if (row) openMessage(row.dataset.id).catch(report);
  });
  for (const tab of document.querySelectorAll(".tabs [data-tab]")) {
    tab.addEventListener("click", () => selectTab(tab.dataset.tab).catch(report));
  }
  $("remote").addEventListener("click", () => {
    if (mailbox.selected) {
      showHTML(mailbox.selected, true);
      selectTab("html").catch(report);
    }
  });
  wireSearch();
  $("more").addEventListener("click", () => loadList({ append: true }).catch(report));
  $("delete-all").addEventListener("click", () => deleteAll().catch(report));
  $("mark-all-read").addEventListener("click", () => markAllRead().catch(report));
  $("m-back").addEventListener("click", () => closeMessage());
  $("m-unread").addEventListener("click", () => {
    if (mailbox.selected) markUnread(mailbox.selected).catch(report);
  });
  $("m-delete").addEventListener("click", () => {
    if (mailbox.selected) deleteMessage(mailbox.selected).catch(report);
  });
  window.addEventListener("popstate", () => {
    const id = decodeURIComponent(location.hash.slice(1));
    if (id) openMessage(id, { pushHistory: false }).catch(report);
    else closeMessage();
  });
  document.addEventListener("keydown", onKey);
}

async function showFeatures() {
  const settings = await webUI();
  document.querySelector('[data-tab="spam"]').hidden = !settings.SpamAssassin;
  await setUpRelease();
}

wire();
selectTab("html").catch(report);
loadList().catch(report);
connectEvents();
showFeatures().catch(report);
if (location.hash.length > 1) {
  openMessage(decodeURIComponent(location.hash.slice(1)), { pushHistory: false }).catch(report);
}
