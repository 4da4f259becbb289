// Runs one call of npm's mailpit-api client and prints its outcome as JSON:
//   node call.mjs BASE_URL METHOD '[args...]'
// -> {"result": ...} or {"error": "Mailpit API Error: ..."}; a Blob result
// becomes {"type": ..., "base64": ...}.
import { MailpitClient } from "mailpit-api";

const [baseURL, method, args = "[]"] = process.argv.slice(2);
const client = new MailpitClient(baseURL);
try {
  let result = await client[method](...JSON.parse(args));
  if (result instanceof Blob) {
    result = { type: result.type, base64: Buffer.from(await result.arrayBuffer()).toString("base64") };
  }
  console.log(JSON.stringify({ result: result === undefined ? null : result }));
} catch (error) {
  console.log(JSON.stringify({ error: String(error.message || error) }));
}
