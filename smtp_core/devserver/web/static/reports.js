// The message view's report tabs: Mailpit's link check, HTML check and
// SpamAssassin check, each asked for when its tab is first opened.  Every
// figure goes into the document as text.

import { api, messageURL } from "./api.js";
import { element, plural } from "./dom.js";

const percent = (value) => `${Math.round(value)}%`;

function table(head, rows) {
  const node = element("table", "report-table");
  const top = element("tr");
  for (const name of head) top.append(element("th", "", name));
  node.createTHead().append(top);
  const body = node.createTBody();
  for (const cells of rows) {
    const row = element("tr");
    for (const cell of cells) {
      const data = element("td");
      data.append(cell);  // text or a node made here
      row.append(data);
    }
    body.append(row);
  }
  return node;
}

async function links(id) {
  const result = await api("GET", messageURL(id, "/link-check"));
  const summary = element("p", "report-summary",
    `${plural(result.Links.length, "link")} checked, ${plural(result.Errors, "error")}`);
  const rows = result.Links.map((link) => {
    const status = element("span", link.StatusCode >= 400 || !link.StatusCode ? "bad" : "good",
      link.StatusCode ? `${link.StatusCode} ${link.Status}` : link.Status);
    return [link.URL, status];
  });
  return [summary, table(["Link", "Status"], rows)];
}

async function htmlCheck(id) {
  const result = await api("GET", messageURL(id, "/html-check"));
  const total = result.Total;
  const summary = element("p", "report-summary",
    `Supported ${percent(total.Supported)} · partly ${percent(total.Partial)} · not ${percent(total.Unsupported)}` +
    ` (${plural(result.Warnings.length, "feature")} found in ${plural(total.Nodes, "element")})`);
  const rows = result.Warnings.map((warning) => {
    const link = element("a", "", warning.Title);
    if (/^https:\/\/www\.caniemail\.com\//.test(warning.URL)) {
      link.href = warning.URL;
      link.target = "_blank";
      link.rel = "noopener noreferrer";
    }
    const score = warning.Score;
    return [link, String(score.Found), percent(score.Supported), percent(score.Partial), percent(score.Unsupported)];
  });
  return [summary, table(["Feature", "Found", "Supported", "Partly", "Not"], rows)];
}

async function spam(id) {
  const result = await api("GET", messageURL(id, "/sa-check"));
  if (result.Error) return [element("p", "report-summary bad", result.Error)];
  const summary = element("p", `report-summary ${result.IsSpam ? "bad" : "good"}`,
    `Score ${result.Score}${result.IsSpam ? " — spam" : " — not spam"}`);
  const rows = (result.Rules || []).map((rule) => [String(rule.Score), rule.Name, rule.Description]);
  return [summary, table(["Score", "Rule", "Description"], rows)];
}

// tab name -> the function that makes its contents
export const REPORTS = { links, "html-check": htmlCheck, spam };
