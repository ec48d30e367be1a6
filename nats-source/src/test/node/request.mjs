// Sends one request with headers through the official Node.js NATS client and prints the reply
// as JSON: {"data": "...", "headers": {...}}. Usage: node request.mjs <url> <subject> <body>
import { connect, headers, StringCodec } from "nats";

const [url, subject, body] = process.argv.slice(2);
const nc = await connect({ servers: url });
const sc = StringCodec();
const h = headers();
h.append("Nats-Msg-Id", "node-1");
h.append("X-Origin", "node");
h.append("Content-Type", "text/plain");
const reply = await nc.request(subject, sc.encode(body), { headers: h, timeout: 30000 });
const got = {};
if (reply.headers) {
  for (const [k, v] of reply.headers) {
    got[k] = v.join(",");
  }
}
console.log(JSON.stringify({ data: sc.decode(reply.data), headers: got }));
await nc.drain();
