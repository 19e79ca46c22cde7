// The form: turns its fields into run requests (one, or Best-of-N and Speculative Rejection at once on one seed),
// feeds each run's events to its RunView, and with both compares their work and winners.

import { ensureAccess, streamRun } from './api.js';
import { RunView } from './run-view.js';
import * as fmt from './format.js';

const $ = (id) => document.getElementById(id);
const form = $('run-form');
const status = $('status');
const comparison = $('comparison');
let controller = null;

function number(id) {
  const v = $(id).value.trim();
  return v === '' ? null : Number(v);
}

/** The request bodies for the chosen strategies, all on one seed (drawn here when the field is empty). */
function requests() {
  const messages = [];
  const system = $('system').value;
  if (system.trim() !== '') {
    messages.push({ role: 'system', content: system });
  }
  messages.push({ role: 'user', content: $('prompt').value });
  const seed = number('seed') ?? Math.floor(Math.random() * 2 ** 31);
  const common = {
    messages, max_tokens: number('max-tokens'), temperature: number('temperature'), seed,
  };
  const n = number('n');
  const chosen = form.elements.strategy.value;
  const out = [];
  if (chosen === 'best_of_n' || chosen === 'both') {
    out.push({ ...common, strategy: 'best_of_n', best_of: n });
  }
  if (chosen === 'speculative_rejection' || chosen === 'both') {
    const body = {
      ...common, strategy: 'speculative_rejection', max_candidates: n, alpha: number('alpha'),
      memory_budget: Math.round(number('memory') * 1024 * 1024),
    };
    if (number('decision-every') !== null) {
      body.decision_every = number('decision-every');
    }
    out.push(body);
  }
  return out;
}

function compare(bon, spr) {
  const a = bon.summary;
  const b = spr.summary;
  const skipped = a.generated_tokens > 0 ? 1 - b.generated_tokens / a.generated_tokens : 0;
  const wa = a.winners[0];
  const wb = b.winners[0];
  const same = wa && wb && wa.text === wb.text;
  comparison.textContent = `Speculative Rejection generated ${fmt.count(b.generated_tokens)} tokens where Best-of-N`
    + ` generated ${fmt.count(a.generated_tokens)}: ${(skipped * 100).toFixed(0)} % of the work skipped`
    + ` (reward model ${fmt.count(b.reward_tokens)} vs ${fmt.count(a.reward_tokens)} tokens,`
    + ` wall ${fmt.seconds(b.wall_seconds)} vs ${fmt.seconds(a.wall_seconds)}). `
    + (same ? `Same winner: #${wb.id}, reward ${fmt.score(wb.reward)}.`
      : `Different winners: #${wb ? wb.id : '–'} (${fmt.score(wb && wb.reward)}) vs Best-of-N's`
        + ` #${wa ? wa.id : '–'} (${fmt.score(wa && wa.reward)}).`);
  comparison.dataset.sameWinner = String(Boolean(same));
  comparison.classList.toggle('same', Boolean(same));
  comparison.hidden = false;
}

async function run(event) {
  event.preventDefault();
  if (!form.reportValidity() || controller !== null) {
    return;
  }
  // Set before the first await, so that whoever watches the page never sees the previous run's 'done'.
  document.body.dataset.state = 'running';
  $('run').disabled = true;
  if (!(await ensureAccess())) {
    status.textContent = 'The server needs an API key to run anything.';
    $('run').disabled = false;
    document.body.dataset.state = 'ready';
    return;
  }
  const bodies = requests();
  const runs = $('runs');
  runs.replaceChildren();
  runs.classList.toggle('pair', bodies.length > 1);
  comparison.hidden = true;
  const asked = $('asked');
  asked.textContent = $('prompt').value; // as text: a prompt with markup shows its markup
  asked.hidden = false;
  controller = new AbortController();
  $('stop').disabled = false;
  status.textContent = `Running on seed ${bodies[0].seed}…`;
  const views = bodies.map((b) => new RunView(runs, b.strategy));
  await Promise.all(bodies.map((b, i) => streamRun(b, (name, data) => views[i].handle(name, data),
    controller.signal).then(() => {
    if (!views[i].finishedOk && views[i].error === null) {
      views[i].fail('the stream ended early');
    }
  }, (e) => views[i].fail(e.name === 'AbortError' ? 'stopped' : e.message))));
  controller = null;
  $('run').disabled = false;
  $('stop').disabled = true;
  status.textContent = `Seed ${bodies[0].seed}. Click a candidate to see all of its text.`;
  if (views.length === 2 && views.every((v) => v.finishedOk)) {
    compare(views[0], views[1]);
  }
  document.body.dataset.state = 'done';
}

form.addEventListener('submit', run);
$('stop').addEventListener('click', () => controller && controller.abort());
document.body.dataset.state = 'ready';
