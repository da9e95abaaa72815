import { describe, expect, it } from 'vitest';
import {
  formatAge,
  formatDateTime,
  formatMoney,
  formatNumber,
  formatPercent,
  formatRelative,
  parseDuration,
} from './format';

const now = Date.parse('2026-11-28T12:00:00Z');

describe('formatRelative', () => {
  it('says minutes and hours ago, and the future', () => {
    expect(formatRelative('2026-11-28T11:57:00Z', now, 'en')).toBe('3 minutes ago');
    expect(formatRelative('2026-11-28T10:00:00Z', now, 'en')).toBe('2 hours ago');
    expect(formatRelative('2026-11-30T12:00:00Z', now, 'en')).toBe('in 2 days');
    expect(formatRelative('2026-11-28T11:59:58Z', now, 'en')).toBe('now');
  });
  it('shows a dash for a bad time', () => {
    expect(formatRelative('yesterday', now)).toBe('—');
  });
});

describe('formatDateTime', () => {
  it('uses the given zone', () => {
    expect(formatDateTime('2026-11-28T12:00:00Z', 'UTC', 'en-GB')).toBe('28 Nov 2026, 12:00');
    expect(formatDateTime('2026-11-28T12:00:00Z', 'Asia/Tokyo', 'en-GB')).toBe(
      '28 Nov 2026, 21:00',
    );
  });
});

describe('formatAge', () => {
  it('is compact', () => {
    expect(formatAge('2026-11-28T11:59:30Z', now)).toBe('30s');
    expect(formatAge('2026-11-28T11:56:00Z', now)).toBe('4m');
    expect(formatAge('2026-11-28T09:55:00Z', now)).toBe('2h 5m');
    expect(formatAge('2026-11-25T08:00:00Z', now)).toBe('3d 4h');
    expect(formatAge('2026-11-29T00:00:00Z', now)).toBe('0s');
  });
});

describe('numbers and money', () => {
  it('groups digits and formats currency', () => {
    expect(formatNumber(1234567.891, 'en-US')).toBe('1,234,567.89');
    expect(formatMoney(1234.5, 'USD', 'en-US')).toBe('$1,234.50');
    expect(formatMoney(99, 'EUR', 'de-DE')).toBe('99,00\u00a0€');
    expect(formatPercent(0.8734, 'en-US')).toBe('87.3%');
    expect(formatNumber(Number.NaN)).toBe('—');
  });
});

describe('parseDuration', () => {
  it('reads Prometheus durations', () => {
    expect(parseDuration('30s')).toBe(30);
    expect(parseDuration('5m')).toBe(300);
    expect(parseDuration('1.5h')).toBe(5400);
    expect(parseDuration('1d')).toBe(86400);
    expect(parseDuration('5 minutes')).toBeNull();
    expect(parseDuration('')).toBeNull();
  });
});
