// Review keyboard shortcuts. Single keys without modifiers, ignored while typing in a form
// field, so a note can contain the letters.

export type ReviewAction = 'confirm' | 'reject' | 'escalate' | 'skip' | 'reveal' | 'help';

export const REVIEW_SHORTCUTS: { key: string; action: ReviewAction; description: string }[] = [
  { key: 'c', action: 'confirm', description: 'Confirm: the match is right' },
  { key: 'r', action: 'reject', description: 'Reject: a false positive' },
  { key: 'e', action: 'escalate', description: 'Escalate: threat to life, to a supervisor' },
  { key: 's', action: 'skip', description: 'Skip: take the next item, come back to this one later' },
  { key: 'v', action: 'reveal', description: 'Reveal or cover the media' },
  { key: '?', action: 'help', description: 'Show these shortcuts' },
];

export interface KeyLike {
  key: string;
  ctrlKey?: boolean;
  metaKey?: boolean;
  altKey?: boolean;
  repeat?: boolean;
  target?: unknown;
}

function isTyping(target: unknown): boolean {
  if (!target || typeof target !== 'object') return false;
  const t = target as { tagName?: string; isContentEditable?: boolean; type?: string };
  const tag = (t.tagName ?? '').toUpperCase();
  if (t.isContentEditable) return true;
  if (tag === 'TEXTAREA' || tag === 'SELECT') return true;
  if (tag === 'INPUT') {
    const type = (t.type ?? 'text').toLowerCase();
    return !['button', 'submit', 'checkbox', 'radio', 'reset'].includes(type);
  }
  return false;
}

export function shortcutFor(e: KeyLike): ReviewAction | null {
  if (e.ctrlKey || e.metaKey || e.altKey || e.repeat) return null;
  if (isTyping(e.target)) return null;
  const key = e.key.length === 1 ? e.key.toLowerCase() : e.key;
  return REVIEW_SHORTCUTS.find((s) => s.key === key)?.action ?? null;
}
