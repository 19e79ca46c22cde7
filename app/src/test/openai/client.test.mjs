// The official openai npm client against a running `specrej serve` (started by OpenAiClientTest, which passes
// SPECREJ_URL, and SPECREJ_KEYED_URL with SPECREJ_KEY for a server that wants an API key). Run with `node --test`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';

const baseURL = process.env.SPECREJ_URL + '/v1';
const client = new OpenAI({ baseURL, apiKey: 'unused', maxRetries: 0 });
const model = 'mini-alpaca-gen';
const messages = [{ role: 'system', content: 'You are a helpful assistant.' },
  { role: 'user', content: 'Give three tips for staying healthy.' }];

test('lists the served model', async () => {
  const models = await client.models.list();
  assert.deepEqual(models.data.map((m) => m.id), [model]);
});

test('chat completion, seeded and repeatable', async () => {
  const a = await client.chat.completions.create({ model, messages, max_tokens: 16, seed: 3, n: 2 });
  const b = await client.chat.completions.create({ model, messages, max_tokens: 16, seed: 3, n: 2 });
  assert.equal(a.object, 'chat.completion');
  assert.equal(a.choices.length, 2);
  assert.equal(a.choices[0].message.role, 'assistant');
  assert.deepEqual(a.choices.map((c) => c.message.content), b.choices.map((c) => c.message.content));
  assert.equal(a.usage.total_tokens, a.usage.prompt_tokens + a.usage.completion_tokens);
});

test('streamed chat equals the whole response, with usage', async () => {
  const whole = await client.chat.completions.create({ model, messages, max_tokens: 20, seed: 5 });
  const stream = await client.chat.completions.create({ model, messages, max_tokens: 20, seed: 5, stream: true,
    stream_options: { include_usage: true } });
  let text = '';
  let finish = null;
  let usage = null;
  for await (const chunk of stream) {
    if (chunk.usage) usage = chunk.usage;
    const choice = chunk.choices[0];
    if (choice?.delta?.content) text += choice.delta.content;
    if (choice?.finish_reason) finish = choice.finish_reason;
  }
  assert.equal(text, whole.choices[0].message.content);
  assert.equal(finish, whole.choices[0].finish_reason);
  assert.equal(usage.completion_tokens, whole.usage.completion_tokens);
});

test('text completion and stop strings', async () => {
  const r = await client.completions.create({ model, prompt: 'The three primary colors are', max_tokens: 12,
    seed: 1, temperature: 0 });
  assert.equal(r.object, 'text_completion');
  const text = r.choices[0].text;
  assert.ok(text.length > 3, text);
  const stop = text.slice(2, 4);
  const cut = await client.completions.create({ model, prompt: 'The three primary colors are', max_tokens: 12,
    seed: 1, temperature: 0, stop: [stop] });
  assert.equal(cut.choices[0].finish_reason, 'stop');
  assert.ok(!cut.choices[0].text.includes(stop));
  assert.ok(text.startsWith(cut.choices[0].text));
});

test('best_of_n through extra body fields ranks by reward', async () => {
  const r = await client.chat.completions.create({ model, messages, max_tokens: 16, seed: 2, n: 2,
    strategy: 'best_of_n', best_of: 4, return_candidates: true });
  assert.equal(r.choices.length, 2);
  assert.ok(r.choices[0].reward >= r.choices[1].reward);
  assert.equal(r.x_specrej.candidates.length, 4);
  const best = Math.max(...r.x_specrej.candidates.map((c) => c.reward));
  assert.equal(r.choices[0].reward, best);
});

test('speculative_rejection, streamed, equals the whole response', async () => {
  const body = { model, messages, max_tokens: 32, seed: 8, strategy: 'speculative_rejection', alpha: 0.5,
    memory_budget: 3000000 };
  const whole = await client.chat.completions.create(body);
  assert.ok(whole.x_specrej.stats.decisions >= 1);
  const stream = await client.chat.completions.create({ ...body, stream: true });
  let text = '';
  let reward = null;
  for await (const chunk of stream) {
    const choice = chunk.choices[0];
    if (choice?.delta?.content) text += choice.delta.content;
    if (choice?.reward !== undefined) reward = choice.reward;
  }
  assert.equal(text, whole.choices[0].message.content);
  assert.equal(reward, whole.choices[0].reward);
});

test('errors arrive as the client\'s typed errors', async () => {
  await assert.rejects(client.chat.completions.create({ model, messages, temperature: 'hot' }), (e) => {
    assert.ok(e instanceof OpenAI.BadRequestError);
    assert.equal(e.status, 400);
    assert.equal(e.param, 'temperature');
    return true;
  });
  await assert.rejects(client.chat.completions.create({ model: 'gpt-4', messages }), (e) => {
    assert.ok(e instanceof OpenAI.NotFoundError);
    assert.equal(e.code, 'model_not_found');
    return true;
  });
  await assert.rejects(client.chat.completions.create({ model, messages, max_tokens: 100000 }),
    OpenAI.BadRequestError);
});

test('an API key is required when the server has one', async () => {
  const url = process.env.SPECREJ_KEYED_URL + '/v1';
  const wrong = new OpenAI({ baseURL: url, apiKey: 'wrong', maxRetries: 0 });
  await assert.rejects(wrong.models.list(), OpenAI.AuthenticationError);
  const right = new OpenAI({ baseURL: url, apiKey: process.env.SPECREJ_KEY, maxRetries: 0 });
  const r = await right.chat.completions.create({ model, messages, max_tokens: 4 });
  assert.equal(r.choices.length, 1);
});
