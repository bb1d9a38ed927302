// Shapes of the platform API answers the console reads.
export interface Page<T> {
  items: T[];
  nextCursor?: string;
}

export interface SessionUser {
  id: string;
  username: string;
  email: string | null;
  displayName: string | null;
  source: string;
  admin: boolean;
  disabled: boolean;
  twoFactorEnabled: boolean;
  createdAt: string;
}

export type Permission = 'read' | 'write' | 'admin' | 'site-admin' | null;

export interface Repository {
  name: string;
  namespace: string;
  visibility: 'public' | 'private';
  description: string;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
  lastPushedAt: string | null;
  pullCount: number;
  lastPulledAt: string | null;
  permission?: Permission;
}

export interface Tag {
  tag: string;
  digest: string;
  mediaType: string | null;
  artifactType: string | null;
  manifestSize: number | null;
  totalSize: number | null;
  platforms: string[];
  pushedAt: string;
  pushedBy: string;
  pullCount: number;
  lastPulledAt: string | null;
}

export interface TagHistoryEntry {
  tag: string;
  digest: string;
  action: 'pushed' | 'deleted';
  at: string;
  by: string;
}

export interface Team {
  name: string;
  organization?: string;
  org?: string;
  description?: string;
}

export interface Dashboard {
  repositories: Repository[];
  hasMoreRepositories: boolean;
  teams: Team[];
  recentPushes: Array<{ repository: string; tag: string; digest: string; at: string; by: string }>;
}

export interface RepositoryDocument {
  version: number;
  markdown: string;
  /** Rendered and sanitized by the server: the only HTML the console injects. */
  html: string;
  author: string | null;
  updatedAt: string | null;
}

export interface Me {
  id: string;
  username: string;
  displayName: string;
  bio: string;
  avatarUrl: string | null;
  siteAdmin: boolean;
  memberSince: string;
  organizations: Array<{ name: string; role: string }>;
}

export interface AccessToken {
  id: string;
  name: string;
  hint: string;
  scopes: Array<'pull' | 'push' | 'delete'>;
  expiresAt: string | null;
  lastUsedAt: string | null;
  lastUsedIp: string | null;
  createdAt: string;
  revokedAt: string | null;
}

export interface ConsoleSession {
  id: string;
  current: boolean;
  ip: string | null;
  userAgent: string | null;
  createdAt: string;
  lastUsedAt: string;
}
