import { Dashboard } from './dashboard';

export default function HomePage() {
  return <Dashboard />;
}
