import { describe, expect, it } from 'vitest';
import { SseParser, type ServerSentEvent } from './sse';

function parse(...chunks: string[]): ServerSentEvent[] {
  const events: ServerSentEvent[] = [];
  const parser = new SseParser((e) => events.push(e));
  chunks.forEach((c) => parser.push(c));
  return events;
}

describe('SseParser', () => {
  it('reads named events with ids', () => {
    expect(parse('event: job\nid: 3\ndata: {"a":1}\n\n')).toEqual([{ event: 'job', data: '{"a":1}', id: '3' }]);
  });

  it('joins data lines and survives any chunking, CRLF included', () => {
    const text = 'event: job\r\ndata: one\r\ndata: two\r\n\r\n: keep-alive\r\n\r\ndata: x\r\n\r\n';
    const whole = parse(text);
    const split = parse(...text.split(''));
    expect(whole).toEqual([
      { event: 'job', data: 'one\ntwo', id: undefined },
      { event: 'message', data: 'x', id: undefined },
    ]);
    expect(split).toEqual(whole);
  });

  it('does not dispatch an unfinished event', () => {
    expect(parse('event: job\ndata: half')).toEqual([]);
  });
});
