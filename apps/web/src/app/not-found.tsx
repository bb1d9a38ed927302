import Link from 'next/link';

export const metadata = { title: 'Not found' };

export default function NotFound() {
  return (
    <div className="mx-auto mt-16 max-w-md text-center">
      <p className="text-5xl font-bold text-muted-fg">404</p>
      <h1 className="mt-3 text-xl font-semibold">Page not found</h1>
      <p className="mt-2 text-sm text-muted-fg">There is nothing here, or you may not see it.</p>
      <Link href="/" className="mt-4 inline-block text-primary underline">
        Back to the dashboard
      </Link>
    </div>
  );
}
