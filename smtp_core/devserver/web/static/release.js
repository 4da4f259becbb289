// The release dialog: sends the open message on through the catcher's
// configured relay (POST /api/v1/message/{ID}/release) to the recipients
// given.  The button shows only when /api/v1/webui says a relay is set.

import { api, messageURL, webUI } from "./api.js";
import { $, report, toast } from "./dom.js";
import { currentMessage } from "./view.js";

function openDialog(relay) {
  const message = currentMessage();
  if (!message) return;
  $("release-to").value = (message.To || []).map((address) => address.Address).join(", ");
  $("release-server").textContent = relay.SMTPServer;
  $("release-error").textContent = "";
  $("release-dialog").showModal();
}

async function release(event) {
  event.preventDefault();
  const message = currentMessage();
  const to = $("release-to").value.split(/[,\s]+/).filter(Boolean);
  if (!message) return;
  if (to.length === 0) {
    $("release-error").textContent = "Give at least one recipient.";
    return;
  }
  try {
    await api("POST", messageURL(message.ID, "/release"), { To: to });
  } catch (error) {
    $("release-error").textContent = error.message;
    return;
  }
  $("release-dialog").close();
  toast(`Released to ${to.join(", ")}`);
}

export async function setUpRelease() {
  const relay = (await webUI()).MessageRelay;
  $("m-release").hidden = !relay.Enabled;
  if (!relay.Enabled) return;
  $("m-release").addEventListener("click", () => openDialog(relay));
  $("release-form").addEventListener("submit", (event) => release(event).catch(report));
  $("release-cancel").addEventListener("click", () => $("release-dialog").close());
}
