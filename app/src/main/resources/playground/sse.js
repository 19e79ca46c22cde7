// Server-sent events read from a fetch() response. EventSource can only GET, and a run is a POST with a JSON body,
// so the page parses the stream itself (the format of the HTML standard: "event:"/"data:" lines, a blank line ends
// an event, lines starting with ":" are comments such as the server's keep-alives).

/** Calls onEvent(name, data) for every event of the response body, data parsed as JSON; resolves at its end. */
export async function readEvents(response, onEvent) {
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  let name = 'message';
  let data = [];
  const line = (text) => {
    if (text === '') {
      if (data.length > 0) {
        onEvent(name, JSON.parse(data.join('\n')));
      }
      name = 'message';
      data = [];
    } else if (text.startsWith(':')) {
      // comment (keep-alive)
    } else {
      const colon = text.indexOf(':');
      const field = colon < 0 ? text : text.slice(0, colon);
      let value = colon < 0 ? '' : text.slice(colon + 1);
      if (value.startsWith(' ')) {
        value = value.slice(1);
      }
      if (field === 'event') {
        name = value;
      } else if (field === 'data') {
        data.push(value);
      }
    }
  };
  for (;;) {
    const { value, done } = await reader.read();
    if (done) {
      break;
    }
    buffer += value;
    // A chunk may end in the middle of a line: keep the unfinished tail for the next one.
    let end;
    while ((end = buffer.search(/\r\n|\n|\r/)) >= 0) {
      const sep = buffer.startsWith('\r\n', end) ? 2 : 1;
      if (buffer[end] === '\r' && end === buffer.length - 1) {
        break; // a lone \r at the end may be the first half of \r\n
      }
      line(buffer.slice(0, end));
      buffer = buffer.slice(end + sep);
    }
  }
  if (buffer !== '') {
    line(buffer);
  }
  line('');
}
