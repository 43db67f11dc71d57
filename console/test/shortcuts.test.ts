import { describe, expect, it } from 'vitest';
import { REVIEW_SHORTCUTS, shortcutFor } from '../src/shortcuts';

describe('review shortcuts', () => {
  it('maps single keys to actions', () => {
    expect(shortcutFor({ key: 'c' })).toBe('confirm');
    expect(shortcutFor({ key: 'R' })).toBe('reject');
    expect(shortcutFor({ key: 'e' })).toBe('escalate');
    expect(shortcutFor({ key: 's' })).toBe('skip');
    expect(shortcutFor({ key: 'v' })).toBe('reveal');
    expect(shortcutFor({ key: '?' })).toBe('help');
    expect(shortcutFor({ key: 'x' })).toBeNull();
    expect(shortcutFor({ key: 'Enter' })).toBeNull();
  });
  it('ignores modified, repeated and typed keys', () => {
    expect(shortcutFor({ key: 'c', ctrlKey: true })).toBeNull();
    expect(shortcutFor({ key: 'c', metaKey: true })).toBeNull();
    expect(shortcutFor({ key: 'c', repeat: true })).toBeNull();
    expect(shortcutFor({ key: 'c', target: { tagName: 'INPUT', type: 'text' } })).toBeNull();
    expect(shortcutFor({ key: 'c', target: { tagName: 'TEXTAREA' } })).toBeNull();
    expect(shortcutFor({ key: 'c', target: { tagName: 'DIV', isContentEditable: true } })).toBeNull();
    expect(shortcutFor({ key: 'c', target: { tagName: 'BUTTON' } })).toBe('confirm');
    expect(shortcutFor({ key: 'c', target: { tagName: 'INPUT', type: 'checkbox' } })).toBe('confirm');
  });
  it('documents each key once', () => {
    const keys = REVIEW_SHORTCUTS.map((s) => s.key);
    expect(new Set(keys).size).toBe(keys.length);
  });
});
