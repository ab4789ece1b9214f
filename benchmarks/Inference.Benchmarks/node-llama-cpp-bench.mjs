// Single-stream greedy decode with node-llama-cpp on the same GGUF:
//   node node-llama-cpp-bench.mjs <packageDir> <model.gguf> <prompt> <tokens> <threads> <runs>
// Prints one JSON line: tokens per second of each run, timed from the first generated token to the last.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import path from 'node:path';

const [packageDir, modelPath, prompt, tokensArg, threadsArg, runsArg] = process.argv.slice(2);
const require = createRequire(path.join(packageDir, 'package.json'));
const { getLlama } = await import(pathToFileURL(require.resolve('node-llama-cpp')).href);
const tokens = Number(tokensArg);
const threads = Number(threadsArg);
const runs = Number(runsArg);

const llama = await getLlama({ gpu: false, build: 'never' });
const model = await llama.loadModel({ modelPath, gpuLayers: 0 });
const context = await model.createContext({ contextSize: 4096, sequences: 1, threads, batchSize: 512 });
const sequence = context.getSequence();
const input = model.tokenize(prompt, true);

const rates = [];
for (let run = 0; run < runs; run++) {
  await sequence.clearHistory();
  let count = 0;
  let first = 0n;
  let last = 0n;
  for await (const token of sequence.evaluate(input, { temperature: 0 })) {
    count++;
    last = process.hrtime.bigint();
    if (count === 1) first = last;
    if (count >= tokens) break;
  }
  rates.push((count - 1) / (Number(last - first) / 1e9));
}
console.log(JSON.stringify({ rates, buildType: llama.buildType, cpu: llama.cpuMathCores ?? null }));
await context.dispose();
await model.dispose();
await llama.dispose();
