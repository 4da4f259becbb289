// Runs one call of npm's mailpit-api client and prints its outcome as JSON:
//   node call.mjs BASE_URL METHOD '[args...]'
// With MAILPIT_AUTH=user:password in the environment the client sends basic auth.
// -> {"result": ...} or {"error": "Mailpit API Error: ..."}; a Blob result
// becomes {"type": ..., "base64": ...}.
import { MailpitClient } from "mailpit-api";

const [baseURL, method, args = "[]"] = process.argv.slice(2);
const credentials = process.env.MAILPIT_AUTH;
const separator = credentials ? credentials.indexOf(":") : -1;
const client = new MailpitClient(baseURL, separator < 0 ? undefined : {
  auth: { username: credentials.slice(0, separator), password: credentials.slice(separator + 1) },
});
try {
  let result = await client[method](...JSON.parse(args));
  if (result instanceof Blob) {
    result = { type: result.type, base64: Buffer.from(await result.arrayBuffer()).toString("base64") };
  }
  console.log(JSON.stringify({ result: result === undefined ? null : result }));
} catch (error) {
  console.log(JSON.stringify({ error: String(error.message || error) }));
}
