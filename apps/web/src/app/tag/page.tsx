import { Suspense } from 'react';
import { TagScreen } from './tag-screen';

export const metadata = { title: 'Tag' };

export default function TagPage() {
  return (
    <Suspense>
      <TagScreen />
    </Suspense>
  );
}
