// A text/event-stream parser for fetch() bodies. EventSource cannot send an Authorization
// header, so the monitor reads the stream itself and feeds the chunks through this parser.

export interface ServerSentEvent {
  event: string;
  data: string;
  id?: string;
}

/** Feeds text in any chunking; calls onEvent for each complete event (per the WHATWG rules). */
export class SseParser {
  private buffer = '';
  private event = '';
  private data: string[] = [];
  private id: string | undefined;
  private sawCr = false;

  constructor(private readonly onEvent: (event: ServerSentEvent) => void) {}

  push(chunk: string) {
    let text = chunk;
    // a CR at the end of the last chunk and an LF at the start of this one are one line break
    if (this.sawCr && text.startsWith('\n')) text = text.slice(1);
    this.sawCr = text.endsWith('\r');
    this.buffer += text;

    let start = 0;
    for (let i = 0; i < this.buffer.length; i++) {
      const c = this.buffer[i];
      if (c === '\n' || c === '\r') {
        this.line(this.buffer.slice(start, i));
        if (c === '\r' && this.buffer[i + 1] === '\n') i++;
        start = i + 1;
      }
    }
    this.buffer = this.buffer.slice(start);
  }

  private line(line: string) {
    if (line === '') {
      this.dispatch();
      return;
    }
    if (line.startsWith(':')) return; // comment / keep-alive
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'event':
        this.event = value;
        break;
      case 'data':
        this.data.push(value);
        break;
      case 'id':
        if (!value.includes('\0')) this.id = value;
        break;
      default:
        break; // retry and unknown fields are ignored
    }
  }

  private dispatch() {
    if (this.data.length > 0) {
      this.onEvent({ event: this.event || 'message', data: this.data.join('\n'), id: this.id });
    }
    this.event = '';
    this.data = [];
  }
}

/**
 * Reads a server-sent event stream with fetch(). Resolves when the server ends the stream,
 * rejects on a network error or a non-2xx answer (with the Response attached as `response`).
 */
export async function readEventStream(
  url: string,
  headers: Record<string, string>,
  onEvent: (event: ServerSentEvent) => void,
  signal: AbortSignal,
): Promise<void> {
  const response = await fetch(url, { headers: { Accept: 'text/event-stream', ...headers }, signal, cache: 'no-store' });
  if (!response.ok || !response.body) {
    const error = new Error(`stream answered ${response.status}`) as Error & { response?: Response };
    error.response = response;
    throw error;
  }
  const parser = new SseParser(onEvent);
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      if (value) parser.push(value);
    }
  } finally {
    reader.releaseLock();
  }
}
