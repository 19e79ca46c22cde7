// Number formats and candidate colours shared by the views.

export function count(n) {
  return Number(n).toLocaleString('en-US');
}

export function score(s) {
  return s === null || s === undefined ? '–' : (s >= 0 ? '+' : '−') + Math.abs(s).toFixed(3);
}

export function seconds(s) {
  return s.toFixed(s < 10 ? 2 : 1) + ' s';
}

export function bytes(b) {
  if (b >= 1 << 20) {
    return (b / (1 << 20)).toFixed(1) + ' MiB';
  }
  return (b / 1024).toFixed(0) + ' KiB';
}

/** A colour per candidate id, spread by the golden angle so that neighbouring ids look different. */
export function colour(id) {
  return `hsl(${(id * 137.508) % 360}, 62%, 46%)`;
}
