// Drives the service with the official OpenAI client: node openai-client.mjs <baseURL> <model> <openai package dir>
import { createRequire } from 'node:module';

const [baseURL, model, packageDir] = process.argv.slice(2);
const require = createRequire(packageDir.endsWith('/') ? packageDir : packageDir + '/');
const OpenAIModule = require('openai');
const OpenAI = OpenAIModule.OpenAI ?? OpenAIModule.default ?? OpenAIModule;

const client = new OpenAI({ baseURL, apiKey: 'not-needed', maxRetries: 0 });
const messages = [{ role: 'user', content: 'Tell me about llamas' }];
// ignore_eos is a llama.cpp server extension the client passes through untouched.
const common = { model, messages, max_tokens: 16, temperature: 0, seed: 3, ignore_eos: true };

const models = await client.models.list();
const chat = await client.chat.completions.create(common);

let streamText = '';
let streamFinish = null;
let streamUsage = null;
const stream = await client.chat.completions.create({ ...common, stream: true, stream_options: { include_usage: true } });
for await (const chunk of stream) {
  const choice = chunk.choices[0];
  if (choice?.delta?.content) streamText += choice.delta.content;
  if (choice?.finish_reason) streamFinish = choice.finish_reason;
  if (chunk.usage) streamUsage = chunk.usage;
}

const completion = await client.completions.create({ model, prompt: 'Once upon a time', max_tokens: 8, temperature: 0, ignore_eos: true });

// The client asks for base64 unless told otherwise and decodes it to floats itself.
const embeddingInputs = ['customer order value', 'hello world'];
const embedFloat = await client.embeddings.create({ model, input: embeddingInputs, encoding_format: 'float' });
const embedBase64 = await client.embeddings.create({ model, input: embeddingInputs });
const embedBase64Raw = await client.embeddings.create({ model, input: 'customer order value', encoding_format: 'base64' });

let embeddingError = null;
try {
  await client.embeddings.create({ model, input: 'x', dimensions: 3 });
} catch (error) {
  embeddingError = { status: error.status, param: error.param ?? error.error?.param };
}

let apiError = null;
try {
  await client.chat.completions.create({ ...common, top_p: 7 });
} catch (error) {
  apiError = { status: error.status, param: error.param ?? error.error?.param, type: error.type ?? error.error?.type };
}

console.log(JSON.stringify({
  models: models.data.map(m => m.id),
  chatText: chat.choices[0].message.content,
  chatFinish: chat.choices[0].finish_reason,
  chatUsage: chat.usage,
  streamText,
  streamFinish,
  streamUsage,
  completionText: completion.choices[0].text,
  completionFinish: completion.choices[0].finish_reason,
  apiError,
  embeddings: {
    float: embedFloat.data.map(d => d.embedding),
    base64: embedBase64.data.map(d => Array.from(d.embedding)),
    base64Raw: embedBase64Raw.data[0].embedding,
    object: embedFloat.object,
    model: embedFloat.model,
    usage: embedFloat.usage,
    error: embeddingError,
  },
}));
