// Rollout drill through the gateway only: a canary is rolled out 1 -> 10 -> 50 -> 100 under sticky traffic from many
// users, several times; prints each run and the count of wrong decisions (target 0). DRILL_CANARY says which canary:
//   identical (default)  the stable GGUF's own bytes: must be promoted; a rollback is a false rollback
//   slower               DRILL_CANARY_MODEL, a clearly slower model: must be rolled back for latency
//   failing              the stable's bytes served with 256 tokens of context under prompts that need more: every canary
//                        request fails (context_length_exceeded), so it must be rolled back for its error rate
// Needs a running platform (run.sh starts one) and Node 18+ (fetch).
//   node rollout-drill.mjs <gatewayURL> <adminKey> <model.gguf> [runs=3] [users=200] [minSamples=30] [minStepSeconds=5] [workers=6]
import { createHash } from "node:crypto";
import { readFileSync, statSync } from "node:fs";

const [gateway, key, modelPath, runsArg, usersArg, samplesArg, stepArg, workersArg] = process.argv.slice(2);
if (!gateway || !key || !modelPath) {
  console.error("usage: node rollout-drill.mjs <gatewayURL> <adminKey> <model.gguf> [runs] [users] [minSamples] [minStepSeconds] [workers]");
  process.exit(2);
}
const runs = Number(runsArg ?? 3), users = Number(usersArg ?? 200), minSamples = Number(samplesArg ?? 30);
const minStepSeconds = Number(stepArg ?? 5), workers = Number(workersArg ?? 6);
const runLimitMs = 15 * 60 * 1000; // a run still undecided after this counts as undecided, not as a pass
const kind = process.env.DRILL_CANARY ?? "identical";
if (!["identical", "slower", "failing"].includes(kind)) throw new Error(`DRILL_CANARY must be identical, slower or failing, was ${kind}`);
if (kind === "slower" && !process.env.DRILL_CANARY_MODEL) throw new Error("DRILL_CANARY=slower needs DRILL_CANARY_MODEL (a slower GGUF)");
const canaryPath = kind === "slower" ? process.env.DRILL_CANARY_MODEL : modelPath;
const artifact = (path) => ({ artifactPath: path, artifactSha256: createHash("sha256").update(readFileSync(path)).digest("hex"), artifactSizeBytes: statSync(path).size });
const canaryServing = kind === "failing" ? { contextSize: 256, parallelSlots: 1 } : undefined;
// The failing canary's prompts: a few hundred tokens, more than its context, well within the stable's.
const content = kind === "failing" ? "Summarise the quarterly ledger for the finance team, line by line. ".repeat(8) : "hello";
const expected = kind === "identical" ? "succeeded" : "rolledback";
const expectedReason = { identical: null, slower: "latency", failing: "error" }[kind];
// One spelling of every status, whichever casing the API uses ("RolledBack", "rolled_back").
const normal = (status) => String(status ?? "").toLowerCase().replaceAll("_", "");

async function api(method, path, body) {
  for (;;) {
    const response = await fetch(new URL(path, gateway), {
      method,
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (response.status === 429) { // the admin key's rate limit: wait as told
      await new Promise((r) => setTimeout(r, 1000 * Number(response.headers.get("retry-after") ?? 1)));
      continue;
    }
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
    return text ? JSON.parse(text) : null;
  }
}

async function chat(domain, user, clientKey) {
  const response = await fetch(new URL("/v1/chat/completions", gateway), {
    method: "POST",
    headers: { authorization: `Bearer ${clientKey}`, "content-type": "application/json" },
    body: JSON.stringify({ model: domain, user, temperature: 0.7, max_tokens: 4, messages: [{ role: "user", content }] }),
  });
  await response.arrayBuffer();
  return { status: response.status, variant: response.headers.get("x-route-variant") };
}

// Traffic comes from several client applications, each with its own key (and rate limit bucket), as in production.
const clientKeys = [];
for (let i = 0; i < workers; i++) clientKeys.push((await api("POST", "/api/keys", { name: `rollout-drill-client-${i}`, role: "client" })).key);

const rows = [];
for (let run = 1; run <= runs; run++) {
  const domain = `0x${Math.floor(0x1000 + Math.random() * 0xefff).toString(16)}-Drill`;
  await api("POST", "/api/domains", { id: domain, name: `${kind} rollout drill ${domain}`, rollback: { minSamples }, cache: { enabled: false } });
  const metrics = { accuracy: 0.9, latency_ms: 50, training_loss: 0.1, validation_loss: 0.2 };
  await api("POST", `/api/models/${domain}/versions`, { version: "1.0.0", ...artifact(modelPath), metrics });
  await api("POST", `/api/models/${domain}/versions`, { version: "1.0.1", ...artifact(canaryPath), metrics, serving: canaryServing });
  await api("POST", `/api/deployments/${domain}/stable`, { version: "1.0.0" });
  while ((await chat(domain, "warm-up", clientKeys[0])).status !== 200) await new Promise((r) => setTimeout(r, 500));

  const started = Date.now();
  const rollout = await api("POST", "/api/rollouts", { domain, version: "1.0.1", minStepSeconds, minSamples });
  let state = rollout, requests = 0, canary = 0, failed = 0, done = false;
  const traffic = clientKeys.map(async (clientKey) => {
    while (!done) {
      const outcome = await chat(domain, `user-${Math.floor(Math.random() * users)}`, clientKey);
      requests++;
      if (outcome.variant === "canary") canary++;
      if (outcome.status !== 200) failed++;
    }
  });
  while (normal(state.status) === "running" || normal(state.status) === "paused") {
    if (Date.now() - started > runLimitMs) break;
    await new Promise((r) => setTimeout(r, 2000));
    state = await api("GET", `/api/rollouts/${rollout.id}`);
  }
  done = true;
  await Promise.all(traffic);
  const decisions = state.decisions ?? [];
  const row = {
    run, domain, status: state.status, seconds: Math.round((Date.now() - started) / 1000), requests, canary, failed,
    decisions: decisions.length, estimatedFirstStepSeconds: rollout.estimatedStepSeconds ?? null,
    lastReason: state.lastReason ?? decisions.at(-1)?.reason ?? "",
  };
  rows.push(row);
  console.error(JSON.stringify(row));
}

console.log("| run | result | seconds | requests (canary) | non-200 | decisions | estimated first step (s) | last reason |");
console.log("| ---: | --- | ---: | ---: | ---: | ---: | ---: | --- |");
for (const r of rows) {
  console.log(`| ${r.run} | ${r.status} | ${r.seconds} | ${r.requests} (${r.canary}) | ${r.failed} | ${r.decisions} | ${r.estimatedFirstStepSeconds ?? "-"} | ${String(r.lastReason).replaceAll("|", "/").slice(0, 160)} |`);
}
const decided = rows.filter((r) => ["succeeded", "rolledback"].includes(normal(r.status)));
const undecided = rows.length - decided.length;
// A degraded canary rolled back for another reason than its degradation is a wrong decision too.
const wrong = decided.filter((r) => normal(r.status) !== expected || (expectedReason && !String(r.lastReason).includes(expectedReason))).length;
const label = kind === "identical" ? "false rollbacks" : `missed ${kind} canaries (not rolled back for ${expectedReason})`;
console.log(`${label}: ${wrong} of ${rows.length} runs (undecided: ${undecided})`);
process.exit(wrong === 0 && undecided === 0 ? 0 : 1);
