import { Suspense } from 'react';
import { GuideScreen } from './guide-screen';

export const metadata = { title: 'Docs' };

export default function DocsPage() {
  return (
    <Suspense>
      <GuideScreen />
    </Suspense>
  );
}
