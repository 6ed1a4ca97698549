import { afterEach, describe, expect, it, vi } from 'vitest';
import { followEventStream, readEventStream, type ServerSentEvent } from './sse';

/** A fetch that answers each call with the next of `answers`: a status, or a stream body cut into the given chunks. */
function fakeFetch(...answers: (number | string[])[]) {
  const calls: { url: string; headers: Record<string, string> }[] = [];
  const fetch = vi.fn(async (url: string, init?: RequestInit) => {
    calls.push({ url, headers: { ...(init?.headers as Record<string, string>) } });
    const answer = answers[calls.length - 1];
    if (answer === undefined) throw new Error(`unexpected request ${calls.length}`);
    if (typeof answer === 'number') return new Response('{"status":' + answer + '}', { status: answer });
    const encoder = new TextEncoder();
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const chunk of answer) controller.enqueue(encoder.encode(chunk));
        controller.close();
      },
    });
    return new Response(body, { status: 200, headers: { 'Content-Type': 'text/event-stream' } });
  });
  vi.stubGlobal('fetch', fetch);
  return calls;
}

async function read(...chunks: string[]): Promise<ServerSentEvent[]> {
  fakeFetch(chunks);
  const events: ServerSentEvent[] = [];
  await readEventStream('/stream', {}, (e) => events.push(e), new AbortController().signal);
  return events;
}

afterEach(() => vi.unstubAllGlobals());

describe('readEventStream', () => {
  it('reads named events with ids', async () => {
    expect(await read('event: job\nid: 3\ndata: {"a":1}\n\n')).toEqual([{ event: 'job', data: '{"a":1}', id: '3' }]);
  });

  it('joins data lines, skips comments, names unnamed events "message" and survives any chunking, CRLF included', async () => {
    const text = 'event: job\r\ndata: one\r\ndata: two\r\n\r\n: keep-alive\r\n\r\ndata: x é\r\n\r\n';
    const whole = await read(text);
    expect(whole).toEqual([
      { event: 'job', data: 'one\ntwo', id: undefined },
      { event: 'message', data: 'x é', id: undefined },
    ]);
    expect(await read(...text.split(''))).toEqual(whole);
  });

  it('does not dispatch an unfinished event', async () => {
    expect(await read('event: job\ndata: half')).toEqual([]);
  });

  it('rejects a non-2xx answer with the response attached', async () => {
    fakeFetch(429);
    const error = await readEventStream('/stream', {}, () => {}, new AbortController().signal).catch((e: unknown) => e);
    expect((error as { response?: Response }).response?.status).toBe(429);
  });
});

describe('followEventStream', () => {
  const follow = (overrides: Partial<Parameters<typeof followEventStream>[0]> = {}) => {
    const events: ServerSentEvent[] = [];
    const outcome = followEventStream({
      url: '/api/jobs/1/stream',
      headers: () => ({ Authorization: 'Bearer k' }),
      onEvent: (e) => events.push(e),
      finished: () => events.some((e) => e.data === 'end'),
      maxReconnects: 3,
      signal: new AbortController().signal,
      ...overrides,
    });
    return { events, outcome };
  };

  it('reopens a stream that ends early with Last-Event-ID set to the last id seen, until the subject is finished', async () => {
    const calls = fakeFetch(['id: 1.0\nevent: job\ndata: a\n\n', 'id: 2.5\nevent: job\ndata: b\n\n'], ['id: 3.9\nevent: job\ndata: end\n\n']);
    const { events, outcome } = follow();
    expect(await outcome).toBe('finished');
    expect(events.map((e) => e.data)).toEqual(['a', 'b', 'end']);
    expect(calls.map((c) => c.headers['Last-Event-ID'])).toEqual([undefined, '2.5']);
    expect(calls.every((c) => c.headers.Authorization === 'Bearer k' && c.headers.Accept === 'text/event-stream')).toBe(true);
  });

  it('stops (the caller polls) when the stream answers an error, or breaks off', async () => {
    fakeFetch(500);
    expect(await follow().outcome).toBe('stopped');
    fakeFetch(['id: 1\ndata: a\n\n'], 429);
    expect(await follow().outcome).toBe('stopped');
  });

  it('says unauthorized on a 401, at the first connection or a later one', async () => {
    fakeFetch(401);
    expect(await follow().outcome).toBe('unauthorized');
    fakeFetch(['id: 1\ndata: a\n\n'], 401);
    expect(await follow().outcome).toBe('unauthorized');
  });

  it('stops when a stream ends early without an id to resume from', async () => {
    const calls = fakeFetch(['event: job\ndata: a\n\n']);
    expect(await follow().outcome).toBe('stopped');
    expect(calls).toHaveLength(1);
  });

  it('stops after the reconnections allowed', async () => {
    const early = ['id: 1\ndata: a\n\n'];
    const calls = fakeFetch(early, early, early, early);
    expect(await follow({ maxReconnects: 3 }).outcome).toBe('stopped');
    expect(calls).toHaveLength(4);
  });

  it('asks for the headers again at each connection', async () => {
    let n = 0;
    const calls = fakeFetch(['id: 1\ndata: a\n\n'], ['id: 2\ndata: end\n\n']);
    expect(await follow({ headers: () => ({ Authorization: `Bearer k${++n}` }) }).outcome).toBe('finished');
    expect(calls.map((c) => c.headers.Authorization)).toEqual(['Bearer k1', 'Bearer k2']);
  });

  it('ends quietly when aborted', async () => {
    const controller = new AbortController();
    fakeFetch(['id: 1\ndata: a\n\n'], ['id: 2\ndata: b\n\n']);
    const { outcome } = follow({ signal: controller.signal, onEvent: () => controller.abort() });
    expect(await outcome).toBe('aborted');
  });
});
