// The baseline: a bare Node HTTP server that answers each path with bytes
// recorded from the portal (status, content type, body). Whatever the portal
// costs above this is the portal's own work.
import { createServer } from "node:http";
import { readFileSync } from "node:fs";

const responses = JSON.parse(readFileSync(process.argv[2], "utf8"));
const byKey = new Map(responses.map((r) => [`${r.method} ${r.path}`, { ...r, body: Buffer.from(r.bodyBase64, "base64") }]));

const server = createServer((req, res) => {
  const chunks = [];
  req.on("data", (chunk) => chunks.push(chunk));
  req.on("end", () => {
    const answer = byKey.get(`${req.method} ${req.url}`);
    if (!answer) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(answer.status, { "content-type": answer.contentType, "content-length": answer.body.length });
    res.end(answer.body);
  });
});
server.listen(Number(process.argv[3]), "127.0.0.1", () => process.send?.("ready"));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
