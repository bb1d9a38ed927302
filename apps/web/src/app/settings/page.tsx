import { Suspense } from 'react';
import { SettingsScreen } from './settings-screen';

export const metadata = { title: 'Settings' };

export default function SettingsPage() {
  return (
    <Suspense>
      <SettingsScreen />
    </Suspense>
  );
}
