import { Suspense } from 'react';
import { RepositoryScreen } from './repository-screen';

export const metadata = { title: 'Repository' };

export default function RepositoryPage() {
  return (
    <Suspense>
      <RepositoryScreen />
    </Suspense>
  );
}
