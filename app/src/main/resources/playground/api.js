// The page's only contact with the server: POST /v1/specrej/runs, with the API key when the server wants one.
// The key lives in this module's memory only (never in storage or the URL), so a reload asks again.

import { readEvents } from './sse.js';

let apiKey = null;

function headers() {
  const h = { 'Content-Type': 'application/json' };
  if (apiKey !== null) {
    h.Authorization = 'Bearer ' + apiKey;
  }
  return h;
}

/**
 * Makes sure /v1 accepts us before any run starts, asking for the key (once, and again only if it was wrong), so
 * that two concurrent runs never both prompt. Resolves false if the person declined to give one.
 */
export async function ensureAccess() {
  for (;;) {
    const r = await fetch('/v1/models', { headers: headers() });
    if (r.status !== 401) {
      return true;
    }
    const key = window.prompt(apiKey === null
      ? 'This server needs its API key (kept in this page\'s memory only):'
      : 'That key was refused. API key:');
    if (key === null || key === '') {
      return false;
    }
    apiKey = key;
  }
}

/** Runs one request, calling onEvent(name, data) per event; rejects with the server's message if it refuses. */
export async function streamRun(body, onEvent, signal) {
  const r = await fetch('/v1/specrej/runs', {
    method: 'POST', headers: headers(), body: JSON.stringify(body), signal,
  });
  if (!r.ok) {
    let message = 'HTTP ' + r.status;
    try {
      message = (await r.json()).error.message;
    } catch (e) {
      // not OpenAI-shaped: keep the status
    }
    throw new Error(message);
  }
  await readEvents(r, onEvent);
}
