// The one owner of what the list shows: the summaries on screen, the number
// of messages (matches, with a search), the number of unread messages, the
// search and the open message.  Only the functions here change them; each
// change tells the subscribers (the list, the title) once.

export const mailbox = {
  messages: [],   // summaries shown, newest first
  total: 0,       // messages matching the search (all without one)
  unread: 0,      // unread messages in the mailbox
  query: "",
  selected: null, // ID of the open message
};

const listeners = [];
export const onChange = (listener) => listeners.push(listener);
const changed = () => { for (const listener of listeners) listener(mailbox); };

export const find = (id) => mailbox.messages.find((m) => m.ID === id);
export const indexOf = (id) => mailbox.messages.findIndex((m) => m.ID === id);

// A page of Mailpit's list: total/unread count the mailbox, messages_count the matches.
export function loaded(page, { append = false } = {}) {
  if (append) {
    const known = new Set(mailbox.messages.map((m) => m.ID));
    mailbox.messages = mailbox.messages.concat(page.messages.filter((m) => !known.has(m.ID)));
  } else {
    mailbox.messages = page.messages;
  }
  mailbox.total = page.messages_count ?? page.total;
  mailbox.unread = page.unread;
  changed();
}

export function arrived(summary) {
  if (find(summary.ID)) return;
  mailbox.messages.unshift(summary);
  mailbox.total += 1;
  if (!summary.Read) mailbox.unread += 1;
  changed();
}

export function updated(id, change) {
  const summary = find(id);
  if (!summary) return;
  if (change.Read !== undefined && summary.Read !== change.Read) mailbox.unread += change.Read ? -1 : 1;
  Object.assign(summary, change);
  changed();
}

export function removed(ids) {
  const gone = new Set(ids);
  const before = mailbox.messages.length;
  for (const m of mailbox.messages) if (gone.has(m.ID) && !m.Read) mailbox.unread -= 1;
  mailbox.messages = mailbox.messages.filter((m) => !gone.has(m.ID));
  mailbox.total = Math.max(0, mailbox.total - (before - mailbox.messages.length));
  changed();
}

export function emptied() {
  mailbox.messages = [];
  mailbox.total = 0;
  mailbox.unread = 0;
  mailbox.selected = null;
  changed();
}

export function selected(id) {
  mailbox.selected = id;
  changed();
}

export const searching = (query) => { mailbox.query = query; };

// The server's figures (its "stats" event): whether ours differ.
export const differs = (stats) => Boolean(stats) &&
  (stats.Unread !== mailbox.unread || (!mailbox.query && stats.Total !== mailbox.total));
