// Server-sent events over fetch(): EventSource cannot send an Authorization header, so the monitor reads the
// stream itself. The text/event-stream parsing is eventsource-parser's (the WHATWG rules: any chunking, CR/LF/CRLF,
// comments, multi-line data); what is ours is reading the body and reconnecting with Last-Event-ID.
import { createParser } from 'eventsource-parser';

export interface ServerSentEvent {
  /** the event's type; "message" when the server names none, as EventSource does */
  event: string;
  data: string;
  /** the id the event's block carried, if any */
  id?: string;
}

/**
 * Reads a server-sent event stream with fetch(). Resolves when the server ends the stream,
 * rejects on a network error or a non-2xx answer (with the Response attached as `response`).
 * An error thrown by onEvent ends the reading with that error.
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
  const parser = createParser({
    onEvent: (message) => onEvent({ event: message.event || 'message', data: message.data, id: message.id }),
  });
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      if (value) parser.feed(value);
    }
  } finally {
    reader.releaseLock();
  }
}

/**
 * How following a stream ended: `finished` when a stream ended and `finished()` said the subject is done;
 * `stopped` when it cannot go on (an answer other than 2xx or 401, a broken connection, a stream that ended
 * without an id to resume from, or the reconnections used up): the caller polls instead; `unauthorized` on a 401;
 * `aborted` when the signal aborted.
 */
export type StreamOutcome = 'finished' | 'stopped' | 'unauthorized' | 'aborted';

export interface FollowOptions {
  url: string;
  /** asked before each connection, so a reconnection sends the key as it is then */
  headers: () => Record<string, string>;
  onEvent: (event: ServerSentEvent) => void;
  /** asked when a stream ends: has the subject reached its end (so there is nothing more to follow)? */
  finished: () => boolean;
  /** streams that end early are reopened this many times at most */
  maxReconnects: number;
  signal: AbortSignal;
}

/**
 * Follows a stream that the server ends from time to time (a stream's lifetime): when it ends early it is reopened
 * with `Last-Event-ID` set to the last id seen, so the server sends only what came after.
 */
export async function followEventStream(options: FollowOptions): Promise<StreamOutcome> {
  const { url, onEvent, finished, maxReconnects, signal } = options;
  let lastEventId: string | undefined;
  for (let reconnects = 0; ; reconnects++) {
    const headers = lastEventId ? { ...options.headers(), 'Last-Event-ID': lastEventId } : options.headers();
    try {
      await readEventStream(
        url,
        headers,
        (event) => {
          if (event.id) lastEventId = event.id;
          onEvent(event);
        },
        signal,
      );
    } catch (error) {
      if (signal.aborted) return 'aborted';
      return (error as { response?: Response }).response?.status === 401 ? 'unauthorized' : 'stopped';
    }
    if (signal.aborted) return 'aborted';
    if (finished()) return 'finished';
    if (!lastEventId || reconnects >= maxReconnects) return 'stopped';
  }
}
