import { Card } from './ui';
import { plural } from '../lib/format';

interface Bubble {
  role: string;
  content: string;
}

/**
 * The turns of one example as the trainer reads it: a v4 line's messages, or a v3 line's prompt (the user)
 * and completion (the assistant). Anything else (a tool call's arguments) shows as its JSON.
 */
function bubblesOf(example: unknown): Bubble[] {
  if (!example || typeof example !== 'object') return [];
  const e = example as Record<string, unknown>;
  if (Array.isArray(e.messages)) {
    return e.messages.map((m) => {
      const message = (m ?? {}) as Record<string, unknown>;
      const content = typeof message.content === 'string' ? message.content : JSON.stringify(message.content ?? message.tool_calls ?? '');
      return { role: typeof message.role === 'string' ? message.role : 'message', content };
    });
  }
  if (typeof e.prompt === 'string' || typeof e.completion === 'string') {
    return [
      { role: 'user', content: String(e.prompt ?? '') },
      { role: 'assistant', content: String(e.completion ?? '') },
    ];
  }
  return [];
}

/** The first valid examples of the dataset (the validation keeps three) as chat bubbles, one conversation each. */
export function ExamplePreview({ examples }: { examples: unknown[] }) {
  return (
    <Card
      title="Examples"
      description={`The first ${plural(examples.length, 'valid example')} of the file, as the model will see ${examples.length === 1 ? 'it' : 'them'}.`}
      testId="examples-card"
    >
      <div className="example-list">
        {examples.map((example, i) => (
          <ol className="chat" key={i} aria-label={`Example ${i + 1}`} data-testid="example">
            {bubblesOf(example).map((b, j) => (
              <li key={j} className={`chat__bubble chat__bubble--${b.role === 'assistant' ? 'assistant' : b.role === 'system' ? 'system' : 'user'}`} data-role={b.role}>
                <span className="chat__role">{b.role}</span>
                <p className="chat__text">{b.content}</p>
              </li>
            ))}
          </ol>
        ))}
      </div>
    </Card>
  );
}
