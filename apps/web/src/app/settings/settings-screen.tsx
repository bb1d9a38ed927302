// Profile and settings: profile and avatar, password, sessions, personal access tokens,
// two-factor authentication, theme; one tab each (?tab=tokens deep-links).
'use client';
import { useRouter } from 'next/navigation';
import { RequireSession } from '@/components/require-session';
import { Tabs, TabsContent, TabsList, TabsTrigger } from '@/components/ui/tabs';
import { useParam } from '@/lib/params';
import { AppearanceSection } from './appearance';
import { PasswordSection } from './password';
import { ProfileSection } from './profile';
import { SessionsSection } from './sessions';
import { TokensSection } from './tokens';
import { TwoFactorSection } from './two-factor';

const TABS = [
  ['profile', 'Profile'],
  ['password', 'Password'],
  ['sessions', 'Sessions'],
  ['tokens', 'Access tokens'],
  ['two-factor', 'Two-factor'],
  ['appearance', 'Appearance'],
] as const;

export function SettingsScreen() {
  const router = useRouter();
  const tab = useParam('tab') ?? 'profile';
  return (
    <RequireSession>
      {(user) => (
        <div className="flex flex-col gap-4">
          <h1 className="text-2xl font-semibold">Settings</h1>
          <Tabs value={tab} onValueChange={(next) => router.replace(`/settings/?tab=${next}`)}>
            <TabsList aria-label="Settings sections" className="flex-wrap">
              {TABS.map(([value, label]) => (
                <TabsTrigger key={value} value={value}>
                  {label}
                </TabsTrigger>
              ))}
            </TabsList>
            <TabsContent value="profile">
              <ProfileSection />
            </TabsContent>
            <TabsContent value="password">
              <PasswordSection source={user.source} />
            </TabsContent>
            <TabsContent value="sessions">
              <SessionsSection />
            </TabsContent>
            <TabsContent value="tokens">
              <TokensSection username={user.username} />
            </TabsContent>
            <TabsContent value="two-factor">
              <TwoFactorSection />
            </TabsContent>
            <TabsContent value="appearance">
              <AppearanceSection />
            </TabsContent>
          </Tabs>
        </div>
      )}
    </RequireSession>
  );
}
