// The API key of this browser tab, kept in sessionStorage (gone when the tab closes).
// Listeners hear about sign-in, sign-out and a key the API refused (401 anywhere).

const KEY = 'lorapipeline.api-key';
const NAME = 'lorapipeline.user-name';

export type SessionEnd = 'signed-out' | 'expired';
type Listener = (reason: SessionEnd | 'signed-in') => void;

const listeners = new Set<Listener>();
let lastEnd: SessionEnd | null = null;

function read(name: string): string | null {
  try {
    return window.sessionStorage.getItem(name);
  } catch {
    return null;
  }
}

export const session = {
  key(): string | null {
    return read(KEY);
  },
  userName(): string | null {
    return read(NAME);
  },
  /** Why the last session of this page ended, for the sign-in page to say so. */
  lastEnd(): SessionEnd | null {
    return lastEnd;
  },
  signIn(key: string, userName: string) {
    lastEnd = null;
    window.sessionStorage.setItem(KEY, key);
    window.sessionStorage.setItem(NAME, userName);
    listeners.forEach((l) => l('signed-in'));
  },
  end(reason: SessionEnd) {
    const hadKey = read(KEY) !== null;
    if (hadKey || reason === 'signed-out') lastEnd = reason;
    window.sessionStorage.removeItem(KEY);
    window.sessionStorage.removeItem(NAME);
    if (hadKey || reason === 'signed-out') {
      listeners.forEach((l) => l(reason));
    }
  },
  subscribe(listener: Listener): () => void {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
};
