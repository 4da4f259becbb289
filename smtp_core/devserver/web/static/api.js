// The catcher's HTTP API (Mailpit's v1), as the page calls it.

export async function api(method, path, body) {
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

export const messageURL = (id, tail = "") => `/api/v1/message/${encodeURIComponent(id)}${tail}`;

export function listURL(query, start, limit) {
  const params = new URLSearchParams({ start: String(start), limit: String(limit) });
  if (query) {
    params.set("query", query);
    return `/api/v1/search?${params}`;
  }
  return `/api/v1/messages?${params}`;
}

// /api/v1/webui: which optional features (relay, SpamAssassin) this catcher has.
let settings = null;
export async function webUI() {
  settings = settings || api("GET", "/api/v1/webui");
  return settings;
}
