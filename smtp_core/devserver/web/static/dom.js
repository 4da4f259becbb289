// Small helpers for building the page: element lookup and creation,
// formatting of sizes, times and addresses, and the toast.  Message data
// only reaches the document through textContent and setAttribute.

import { shownAddress } from "./idn.js";

export const $ = (id) => document.getElementById(id);

export function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

export function formatSize(bytes) {
  if (!Number.isFinite(bytes)) return "";
  if (bytes < 1024) return `${bytes} B`;
  const units = ["kB", "MB", "GB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit += 1; }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

export function formatTime(iso) {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  const now = new Date();
  if (date.toDateString() === now.toDateString()) {
    return date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
  }
  return date.toLocaleDateString([], { month: "short", day: "numeric", year: "numeric" });
}

export function formatAddress(address) {
  if (!address) return "";
  const shown = shownAddress(address.Address);
  return address.Name ? `${address.Name} <${shown}>` : shown;
}

export function addressList(addresses) {
  return (addresses || []).map(formatAddress).join(", ");
}

export const plural = (count, word, many = `${word}s`) => `${count} ${count === 1 ? word : many}`;

let toastTimer = null;
export function toast(text) {
  const box = $("toast");
  box.textContent = text;
  box.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { box.hidden = true; }, 4000);
}

export function report(error) {
  console.error(error);
  toast(error.message || String(error));
}

// A message's tags as buttons; a click on one searches tag:NAME (page.js).
export function tagButtons(tags) {
  return (tags || []).map((tag) => {
    const button = element("button", "tag", tag);
    button.type = "button";
    button.dataset.tag = tag;
    button.title = `Show the messages tagged ${tag}`;
    return button;
  });
}
