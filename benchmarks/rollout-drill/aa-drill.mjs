// A/A rollout drill through the gateway only: a version whose GGUF is byte-identical to the stable one is rolled out
// 1 -> 10 -> 50 -> 100 under sticky traffic from many users, several times; prints each run and the false-rollback
// count (target 0). Needs a running platform (run.sh starts one) and Node 18+ (fetch).
//   node aa-drill.mjs <gatewayURL> <adminKey> <model.gguf> [runs=3] [users=200] [minSamples=30] [minStepSeconds=5] [workers=6]
import { createHash } from "node:crypto";
import { readFileSync, statSync } from "node:fs";

const [gateway, key, modelPath, runsArg, usersArg, samplesArg, stepArg, workersArg] = process.argv.slice(2);
if (!gateway || !key || !modelPath) {
  console.error("usage: node aa-drill.mjs <gatewayURL> <adminKey> <model.gguf> [runs] [users] [minSamples] [minStepSeconds] [workers]");
  process.exit(2);
}
const runs = Number(runsArg ?? 3), users = Number(usersArg ?? 200), minSamples = Number(samplesArg ?? 30);
const minStepSeconds = Number(stepArg ?? 5), workers = Number(workersArg ?? 6);
const runLimitMs = 15 * 60 * 1000; // a run still undecided after this counts as undecided, not as a pass
const sha256 = createHash("sha256").update(readFileSync(modelPath)).digest("hex");
const size = statSync(modelPath).size;

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
    body: JSON.stringify({ model: domain, user, temperature: 0.7, max_tokens: 4, messages: [{ role: "user", content: "hello" }] }),
  });
  await response.arrayBuffer();
  return { status: response.status, variant: response.headers.get("x-route-variant") };
}

// Traffic comes from several client applications, each with its own key (and rate limit bucket), as in production.
const clientKeys = [];
for (let i = 0; i < workers; i++) clientKeys.push((await api("POST", "/api/keys", { name: `aa-drill-client-${i}`, role: "client" })).key);

const rows = [];
for (let run = 1; run <= runs; run++) {
  const domain = `0x${Math.floor(0x1000 + Math.random() * 0xefff).toString(16)}-AaDrill`;
  await api("POST", "/api/domains", { id: domain, name: `A/A drill ${domain}`, rollback: { minSamples }, cache: { enabled: false } });
  const version = (v) => ({ version: v, artifactPath: modelPath, artifactSha256: sha256, artifactSizeBytes: size,
    metrics: { accuracy: 0.9, latency_ms: 50, training_loss: 0.1, validation_loss: 0.2 } });
  await api("POST", `/api/models/${domain}/versions`, version("1.0.0"));
  await api("POST", `/api/models/${domain}/versions`, version("1.0.1"));
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
  while (state.status === "running" || state.status === "paused") {
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
const falseRollbacks = rows.filter((r) => r.status === "rolled_back").length;
const undecided = rows.filter((r) => r.status !== "succeeded" && r.status !== "rolled_back").length;
console.log(`false rollbacks: ${falseRollbacks} of ${rows.length} runs (undecided: ${undecided})`);
process.exit(falseRollbacks === 0 && undecided === 0 ? 0 : 1);
