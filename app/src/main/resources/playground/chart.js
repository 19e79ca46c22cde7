// Reward against tokens generated, one line per candidate: its partial rewards at each decision, then its final
// reward. Drawn on a canvas (no library); redrawn only when a decision or a finish adds points, never per token.

import { colour, score as formatScore } from './format.js';

const PAD = { left: 46, right: 12, top: 10, bottom: 26 };

/**
 * @param canvas the target; its CSS size decides the drawing size
 * @param model {maxTokens, decisions: [tokens], candidates: [{id, points: [[tokens, score]], state}]}
 */
export function drawChart(canvas, model) {
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth;
  const height = canvas.clientHeight;
  if (width === 0 || height === 0) {
    return;
  }
  canvas.width = Math.round(width * ratio);
  canvas.height = Math.round(height * ratio);
  const g = canvas.getContext('2d');
  g.setTransform(ratio, 0, 0, ratio, 0, 0);
  g.clearRect(0, 0, width, height);

  let lo = Infinity;
  let hi = -Infinity;
  for (const c of model.candidates) {
    for (const [, s] of c.points) {
      lo = Math.min(lo, s);
      hi = Math.max(hi, s);
    }
  }
  const plotW = width - PAD.left - PAD.right;
  const plotH = height - PAD.top - PAD.bottom;
  const maxX = Math.max(1, model.maxTokens);
  if (lo === Infinity) {
    lo = -1;
    hi = 1;
  }
  if (hi - lo < 1e-6) {
    lo -= 0.5;
    hi += 0.5;
  }
  const margin = (hi - lo) * 0.08;
  lo -= margin;
  hi += margin;
  const x = (t) => PAD.left + (t / maxX) * plotW;
  const y = (s) => PAD.top + (1 - (s - lo) / (hi - lo)) * plotH;

  // Axes, the reward scale and the decision points.
  g.font = '11px system-ui, sans-serif';
  g.fillStyle = '#6b7280';
  g.strokeStyle = '#d1d5db';
  g.lineWidth = 1;
  g.strokeRect(PAD.left, PAD.top, plotW, plotH);
  g.textAlign = 'right';
  g.textBaseline = 'middle';
  for (const s of [hi - margin, (hi + lo) / 2, lo + margin]) {
    g.fillText(formatScore(s), PAD.left - 4, y(s));
  }
  g.textAlign = 'center';
  g.textBaseline = 'top';
  g.fillText('0', x(0), PAD.top + plotH + 4);
  g.fillText(String(maxX) + ' tokens', x(maxX) - 22, PAD.top + plotH + 4);
  g.setLineDash([3, 3]);
  for (const t of model.decisions) {
    g.beginPath();
    g.moveTo(x(t), PAD.top);
    g.lineTo(x(t), PAD.top + plotH);
    g.stroke();
    g.fillText(String(t), x(t), PAD.top + plotH + 4);
  }
  g.setLineDash([]);

  // Rejected first (underneath, faded), then the living, then the winner on top.
  const layer = (c) => (c.state === 'rejected' ? 0 : c.state === 'winner' ? 2 : 1);
  const ordered = [...model.candidates].sort((a, b) => layer(a) - layer(b));
  for (const c of ordered) {
    if (c.points.length === 0) {
      continue;
    }
    const rejected = c.state === 'rejected';
    g.globalAlpha = rejected ? 0.35 : 1;
    g.strokeStyle = rejected ? '#9ca3af' : colour(c.id);
    g.fillStyle = g.strokeStyle;
    g.lineWidth = c.state === 'winner' ? 3 : 1.25;
    g.beginPath();
    c.points.forEach(([t, s], i) => (i === 0 ? g.moveTo(x(t), y(s)) : g.lineTo(x(t), y(s))));
    g.stroke();
    for (const [t, s] of c.points) {
      g.beginPath();
      g.arc(x(t), y(s), c.state === 'winner' ? 3.5 : 2, 0, 2 * Math.PI);
      g.fill();
    }
    if (rejected) {
      const [t, s] = c.points[c.points.length - 1];
      g.beginPath();
      g.moveTo(x(t) - 3, y(s) - 3);
      g.lineTo(x(t) + 3, y(s) + 3);
      g.moveTo(x(t) + 3, y(s) - 3);
      g.lineTo(x(t) - 3, y(s) + 3);
      g.stroke();
    }
  }
  g.globalAlpha = 1;
}
