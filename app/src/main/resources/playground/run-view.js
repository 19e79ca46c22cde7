// One run shown live: a row per candidate whose text grows, re-ordered by partial reward at each decision, the
// rejected greyed with where they fell, the winner highlighted, a reward-against-tokens chart and a summary line.
//
// Events only change the model and mark what changed; the DOM is touched once per animation frame, so a
// 256-candidate run costs one layout per frame however many events arrive. Model text is only ever inserted as
// text nodes (never as HTML): a response containing <script> shows as those characters.

import { drawChart } from './chart.js';
import * as fmt from './format.js';

const TITLES = { speculative_rejection: 'Speculative Rejection', best_of_n: 'Best-of-N' };

function el(tag, className, parent) {
  const e = document.createElement(tag);
  if (className) {
    e.className = className;
  }
  if (parent) {
    parent.append(e);
  }
  return e;
}

export class RunView {
  constructor(parent, strategy) {
    this.strategy = strategy;
    this.candidates = new Map();
    this.decisions = [];
    this.maxTokens = 1;
    this.generated = 0;
    this.step = 0;
    this.summary = null;
    this.error = null;
    this.head = null;
    this.created = [];
    this.dirty = new Set();
    this.reorder = false;
    this.redrawChart = true;
    this.frame = 0;

    this.root = el('section', 'run', parent);
    this.root.dataset.strategy = strategy;
    this.root.dataset.state = 'running';
    const header = el('header', 'run-head', this.root);
    el('h2', null, header).textContent = TITLES[strategy] || strategy;
    this.params = el('span', 'params', header);
    this.live = el('p', 'live', this.root);
    this.live.textContent = 'waiting for the server…';
    this.summaryLine = el('p', 'summary', this.root);
    this.summaryLine.hidden = true;
    this.winnerBox = el('div', 'winner', this.root);
    this.winnerBox.hidden = true;
    this.winnerHead = el('div', 'winner-head', this.winnerBox);
    this.winnerText = el('p', 'winner-text', this.winnerBox);
    const figure = el('figure', 'chart', this.root);
    this.canvas = el('canvas', null, figure);
    el('figcaption', null, figure).textContent = 'reward (partial at each decision, final at the end) against tokens · grey ×: rejected · thick: winner';
    this.list = el('ol', 'candidates', this.root);
    this.list.addEventListener('click', (e) => {
      const row = e.target.closest('li');
      if (row) {
        row.classList.toggle('expanded');
      }
    });
    // The chart is drawn at the canvas's CSS size, so a new window size needs a redraw.
    window.addEventListener('resize', () => {
      this.redrawChart = true;
      this.schedule();
    });
    this.schedule();
  }

  /** Applies one server-sent event of the run. */
  handle(name, data) {
    switch (name) {
      case 'run':
        this.head = data;
        this.maxTokens = data.max_tokens;
        break;
      case 'candidates':
        for (const id of data.ids) {
          const c = {
            id, full: '', shown: 0, reset: false, tokens: 0, score: null, points: [], state: 'running',
            rejectedAt: null, decision: null, row: null,
          };
          this.candidates.set(id, c);
          this.created.push(c);
        }
        this.reorder = true;
        break;
      case 'candidate_tokens':
        this.step = data.step;
        for (const t of data.candidates) {
          const c = this.candidates.get(t.id);
          c.full += t.text;
          this.generated += t.tokens - c.tokens;
          c.tokens = t.tokens;
          this.dirty.add(c);
        }
        break;
      case 'decision':
        this.decide(data);
        break;
      case 'finished':
        this.finished(data);
        break;
      case 'summary':
        this.summary = data;
        for (const w of data.winners) {
          const c = this.candidates.get(w.id);
          c.state = 'winner';
          this.dirty.add(c);
        }
        this.reorder = true;
        this.redrawChart = true;
        break;
      case 'error':
        this.error = data.error.message;
        break;
      default:
        break;
    }
    this.schedule();
  }

  /** The run ended without a summary: the server refused it, the connection broke, or the person stopped it. */
  fail(message) {
    this.error = message;
    this.schedule();
  }

  get finishedOk() {
    return this.summary !== null;
  }

  decide(d) {
    this.decisions.push(d.tokens_so_far);
    d.ranked.forEach((r, i) => {
      const c = this.candidates.get(r.id);
      c.score = r.score;
      c.points.push([c.tokens, r.score]);
      this.dirty.add(c);
    });
    for (const id of d.rejected) {
      const c = this.candidates.get(id);
      c.state = 'rejected';
      c.rejectedAt = d.tokens_so_far;
      c.decision = this.decisions.length;
    }
    this.reorder = true;
    this.redrawChart = true;
  }

  finished(f) {
    const c = this.candidates.get(f.id);
    if (f.text !== c.full) {
      c.full = f.text; // the final text is authoritative (a stop string may have been cut)
      c.reset = true;
    }
    c.tokens = f.tokens;
    c.finishReason = f.finish_reason;
    if (c.state !== 'rejected') {
      c.state = 'finished';
      c.score = f.reward;
      const last = c.points[c.points.length - 1];
      if (f.reward !== null && (!last || last[0] !== f.tokens || last[1] !== f.reward)) {
        c.points.push([f.tokens, f.reward]);
      }
    }
    this.dirty.add(c);
    this.reorder = true;
    this.redrawChart = true;
  }

  schedule() {
    if (this.frame === 0) {
      this.frame = requestAnimationFrame(() => this.render());
    }
  }

  render() {
    this.frame = 0;
    if (this.created.length > 0) {
      const fragment = document.createDocumentFragment();
      for (const c of this.created) {
        fragment.append(this.makeRow(c));
      }
      this.list.append(fragment);
      this.created = [];
    }
    for (const c of this.dirty) {
      this.updateRow(c);
    }
    this.dirty.clear();
    if (this.reorder) {
      this.sortRows();
      this.reorder = false;
    }
    if (this.redrawChart) {
      drawChart(this.canvas, {
        maxTokens: this.maxTokens, decisions: this.decisions, candidates: [...this.candidates.values()],
      });
      this.redrawChart = false;
    }
    this.renderHeader();
  }

  makeRow(c) {
    const row = el('li', 'cand');
    row.dataset.id = c.id;
    el('span', 'swatch', row).style.background = fmt.colour(c.id);
    el('span', 'cid', row).textContent = '#' + c.id;
    const text = el('div', 'text', row);
    c.textNode = document.createTextNode('');
    el('span', null, text).append(c.textNode);
    const meta = el('div', 'meta', row);
    c.tokensEl = el('span', 'tokens', meta);
    c.scoreEl = el('span', 'score', meta);
    c.fateEl = el('div', 'fate', row);
    c.row = row;
    this.updateRow(c);
    return row;
  }

  updateRow(c) {
    if (c.row === null) {
      return; // created this frame: makeRow will show everything
    }
    if (c.reset) {
      c.textNode.data = c.full;
      c.reset = false;
    } else if (c.shown < c.full.length) {
      c.textNode.appendData(c.full.slice(c.shown));
    }
    c.shown = c.full.length;
    c.tokensEl.textContent = fmt.count(c.tokens) + ' tok';
    c.scoreEl.textContent = fmt.score(c.score);
    const row = c.row;
    row.dataset.state = c.state;
    row.dataset.tokens = c.tokens;
    if (c.score !== null) {
      row.dataset.score = c.score;
    }
    if (c.state === 'rejected') {
      row.dataset.rejectedAt = c.rejectedAt;
      c.fateEl.textContent = `rejected at decision ${c.decision}, ${c.rejectedAt} tokens, score ${fmt.score(c.score)}`;
    } else if (c.state === 'winner') {
      c.fateEl.textContent = `winner · reward ${fmt.score(c.score)}`;
    } else if (c.state === 'finished') {
      c.fateEl.textContent = c.finishReason === 'stop' ? 'finished' : 'finished (length)';
    }
  }

  /** Winner first, then the living by their latest score, then the rejected, latest casualties first. */
  sortRows() {
    const group = (c) => (c.state === 'winner' ? 0 : c.state === 'rejected' ? 2 : 1);
    const byScore = (a, b) => (b.score ?? -Infinity) - (a.score ?? -Infinity) || a.id - b.id;
    const rows = [...this.candidates.values()].sort((a, b) => group(a) - group(b)
      || (group(a) === 2 ? b.rejectedAt - a.rejectedAt : 0) || byScore(a, b));
    for (const c of rows) {
      this.list.append(c.row); // moves it; one reflow for the whole frame
    }
  }

  renderHeader() {
    if (this.head) {
      const h = this.head;
      let text = `seed ${h.seed} · ${h.prompt_tokens} prompt tokens · up to ${h.max_tokens} new`;
      if (h.alpha !== undefined) {
        text += ` · alpha ${h.alpha} · budget ${fmt.bytes(h.memory_budget)}`;
      }
      this.params.textContent = text;
    }
    const all = this.candidates.size;
    const rejected = [...this.candidates.values()].filter((c) => c.state === 'rejected').length;
    this.root.dataset.candidates = all;
    this.root.dataset.decisions = this.decisions.length;
    if (this.error !== null) {
      this.root.dataset.state = 'failed';
      this.live.textContent = this.error === 'stopped' ? 'stopped' : 'failed: ' + this.error;
      this.live.classList.toggle('error', this.error !== 'stopped');
      return;
    }
    if (this.summary === null) {
      this.live.textContent = `${all - rejected} of ${all} candidates alive · ${fmt.count(this.generated)} tokens`
        + ` generated · ${this.decisions.length} decision${this.decisions.length === 1 ? '' : 's'}`;
      return;
    }
    const s = this.summary;
    this.live.hidden = true;
    this.summaryLine.hidden = false;
    // candidates, not initial_candidates: Best-of-N may start its candidates in several waves.
    this.summaryLine.textContent = `${s.candidates} candidates · ${s.decisions} decisions · `
      + `${fmt.count(s.generated_tokens)} generated tokens · ${fmt.count(s.reward_tokens)} reward-model tokens · `
      + `wall ${fmt.seconds(s.wall_seconds)}`
      + (s.queue_seconds > 0.005 ? ` (queued ${fmt.seconds(s.queue_seconds)})` : '')
      + ` · peak KV ${fmt.bytes(s.peak_kv_bytes)}`;
    const w = s.winners[0];
    if (w) {
      this.winnerBox.hidden = false;
      this.winnerBox.dataset.id = w.id;
      this.winnerHead.textContent = `Winner #${w.id} · reward ${fmt.score(w.reward)}`;
      this.winnerText.textContent = w.text;
    }
    this.root.dataset.initialCandidates = s.initial_candidates;
    this.root.dataset.state = 'done';
  }
}
