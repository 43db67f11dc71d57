import { describe, expect, it } from 'vitest';
import { displayableUri } from '../src/pages/item';
import { mergeReceived } from '../src/pages/liaison';
import { matchesBank } from '../src/pages/banks';

describe('media the console may load', () => {
  it('loads only its own origin, data: and blob: media', () => {
    expect(displayableUri('data:image/png;base64,AAAA')).toBe(true);
    expect(displayableUri('data:video/mp4;base64,AAAA')).toBe(true);
    expect(displayableUri('blob:http://127.0.0.1/x')).toBe(true);
    expect(displayableUri('/evidence/1.jpg')).toBe(true);
    expect(displayableUri('https://hostile.example/x.jpg')).toBe(false);
    expect(displayableUri('//hostile.example/x.jpg')).toBe(false);
    expect(displayableUri('data:text/html;base64,AAAA')).toBe(false);
    expect(displayableUri('javascript:alert(1)')).toBe(false);
    expect(displayableUri(undefined)).toBe(false);
  });
});

describe('liaison inbox', () => {
  it('keeps what was received, first receipt time wins, newest first', () => {
    const a = mergeReceived([], [{ referral_id: 1 }], 100);
    const b = mergeReceived(a, [{ referral_id: 2 }, { referral_id: 1, x: 1 }], 200);
    expect(b.map((r) => r.notice.referral_id)).toEqual([2, 1]);
    expect(b[1].received_ms).toBe(100);
    expect(b[1].notice.x).toBe(1);
  });
});

describe('bank search', () => {
  it('matches name, description, owner and labels', () => {
    const bank = { id: 1, name: 'demo-bank', owner_org: 'iru', scope: 'private', version: 1, description: 'Synthetic',
      stats: { live: 1, removed: 0, live_by_label: { 'severity:crisis': 1 } } };
    expect(matchesBank(bank, '')).toBe(true);
    expect(matchesBank(bank, 'DEMO')).toBe(true);
    expect(matchesBank(bank, 'synthetic')).toBe(true);
    expect(matchesBank(bank, 'iru')).toBe(true);
    expect(matchesBank(bank, 'crisis')).toBe(true);
    expect(matchesBank(bank, 'nothing')).toBe(false);
  });
});
