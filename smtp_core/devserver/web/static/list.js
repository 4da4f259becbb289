// The list of caught mail: pages of PAGE_SIZE summaries ("Load more" adds
// the next page), drawn from the mailbox on every change.  Only the shown
// pages are ever in the document, so a mailbox of 10,000 messages costs
// one page to show.

import { api, listURL } from "./api.js";
import { $, addressList, element, formatAddress, formatSize, formatTime, plural, report, tagButtons } from "./dom.js";
import { shownAddress } from "./idn.js";
import { loaded, mailbox, onChange } from "./mailbox.js";

export const PAGE_SIZE = 50;

function renderRow(summary) {
  const row = element("li", "row");
  row.setAttribute("role", "option");
  row.dataset.id = summary.ID;
  row.classList.toggle("unread", !summary.Read);
  row.setAttribute("aria-selected", String(summary.ID === mailbox.selected));

  row.append(element("span", "dot"));
  const from = element("span", "from", summary.From ? (summary.From.Name || shownAddress(summary.From.Address)) : "");
  const to = (summary.To || []).map((address) => address.Name || shownAddress(address.Address)).join(", ");
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
    clip.title = plural(summary.Attachments, "attachment");
    clip.setAttribute("aria-label", clip.title);
    subject.append(clip);
  }
  if (summary.Subject) subject.append(summary.Subject);
  else subject.append(element("span", "no-subject", "(no subject)"));
  if (summary.Tags && summary.Tags.length) {
    const tags = element("span", "tags");
    tags.append(...tagButtons(summary.Tags));
    subject.append(tags);
  }
  row.append(subject);

  row.append(element("span", "size", formatSize(summary.Size)));
  row.append(element("span", "snippet", summary.Snippet || ""));
  return row;
}

function render() {
  const { messages, total, unread, query } = mailbox;
  $("messages").replaceChildren(...messages.map(renderRow));
  $("count").textContent = query ? plural(total, "match", "matches") : plural(total, "message");
  $("unread").hidden = unread === 0;
  $("unread").textContent = `${unread} unread`;
  $("empty").hidden = messages.length > 0;
  $("empty").firstChild.textContent = query ? "Nothing matches this search." : "No messages yet.";
  $("more").hidden = messages.length >= total;
  document.title = unread ? `(${unread}) Mail catcher · gostd-smtp` : "Mail catcher · gostd-smtp";
}

let generation = 0;
// append: the next page; keep: as many as shown now (after a change elsewhere).
export async function loadList({ append = false, keep = false } = {}) {
  const mine = ++generation;
  const start = append ? mailbox.messages.length : 0;
  const limit = keep ? Math.max(PAGE_SIZE, mailbox.messages.length) : PAGE_SIZE;
  const page = await api("GET", listURL(mailbox.query, start, limit));
  if (mine !== generation) return;  // a newer search has started
  loaded(page, { append });
}

let reloadTimer = null;
export function reloadSoon() {
  clearTimeout(reloadTimer);
  reloadTimer = setTimeout(() => loadList({ keep: true }).catch(report), 150);
}

export function scrollToRow(id) {
  const row = $("messages").querySelector(`[data-id="${CSS.escape(id)}"]`);
  if (row) row.scrollIntoView({ block: "nearest" });
}

onChange(render);
