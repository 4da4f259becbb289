// Live updates: Mailpit's /api/events WebSocket, reconnected with backoff.
// Each event changes the mailbox through its owner's functions.

import { $, report } from "./dom.js";
import { loadList, reloadSoon } from "./list.js";
import { arrived, differs, emptied, mailbox, removed, updated } from "./mailbox.js";
import { closeMessage, forget } from "./view.js";

const RECONNECT_MAX_MS = 15000;

function deleted(ids) {
  forget(ids);
  removed(ids);
}

function onEvent(event) {
  const data = event.Data;
  switch (event.Type) {
    case "new":
      if (mailbox.query) reloadSoon();
      else arrived(data);
      break;
    case "update":
      if (data && data.ID !== undefined) {
        const change = {};  // an update names what changed: the read state or the tags
        if (typeof data.Read === "boolean") change.Read = data.Read;
        if (Array.isArray(data.Tags)) change.Tags = data.Tags;
        updated(data.ID, change);
      }
      else reloadSoon();
      break;
    case "delete":
      if (data && data.ID !== undefined) deleted([data.ID]);
      else if (data && Array.isArray(data.IDs)) deleted(data.IDs);
      else reloadSoon();
      break;
    case "truncate":
      closeMessage();
      emptied();
      break;
    case "stats":
      // Sent after every change.  Figures other than ours mean a change
      // that came without per-message events (all marked read, say).
      if (differs(data)) reloadSoon();
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

export function connectEvents(delay = 500) {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const socket = new WebSocket(`${scheme}//${location.host}/api/events`);
  let opened = false;
  socket.addEventListener("open", () => {
    opened = true;
    setLive("live");
    loadList({ keep: true }).catch(report);  // anything that arrived while we were away
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
