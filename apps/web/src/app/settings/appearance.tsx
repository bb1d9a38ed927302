// Theme: light, dark or the system's, remembered in this browser.
'use client';
import { Card } from '@/components/ui/card';
import { useTheme, type ThemeChoice } from '@/lib/theme';

export function AppearanceSection() {
  const [theme, setTheme] = useTheme();
  return (
    <Card className="max-w-xl">
      <fieldset>
        <legend className="text-lg font-semibold">Theme</legend>
        <div className="mt-3 flex flex-col gap-2">
          {(['light', 'dark', 'system'] as ThemeChoice[]).map((choice) => (
            <label key={choice} className="flex items-center gap-2 text-sm">
              <input type="radio" name="theme" value={choice} checked={theme === choice} onChange={() => setTheme(choice)} className="focus-visible:outline-2 focus-visible:outline-ring" />
              {choice === 'system' ? 'Follow the system' : choice === 'light' ? 'Light' : 'Dark'}
            </label>
          ))}
        </div>
      </fieldset>
    </Card>
  );
}
