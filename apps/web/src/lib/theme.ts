// The theme choice (light, dark, system), kept in localStorage (a preference, never a secret) and
// applied to <html>; public/theme.js applies it before the first paint.
'use client';
import { useEffect, useState } from 'react';

export type ThemeChoice = 'light' | 'dark' | 'system';
const KEY = 'ds-theme';

function apply(choice: ThemeChoice) {
  const dark = choice === 'dark' || (choice === 'system' && window.matchMedia('(prefers-color-scheme: dark)').matches);
  document.documentElement.classList.toggle('dark', dark);
}

export function useTheme(): [ThemeChoice, (choice: ThemeChoice) => void] {
  const [choice, setChoice] = useState<ThemeChoice>('system');
  useEffect(() => {
    const saved = (localStorage.getItem(KEY) as ThemeChoice | null) ?? 'system';
    setChoice(saved);
    const media = window.matchMedia('(prefers-color-scheme: dark)');
    const follow = () => apply((localStorage.getItem(KEY) as ThemeChoice | null) ?? 'system');
    media.addEventListener('change', follow);
    return () => media.removeEventListener('change', follow);
  }, []);
  return [
    choice,
    (next) => {
      localStorage.setItem(KEY, next);
      setChoice(next);
      apply(next);
    },
  ];
}
