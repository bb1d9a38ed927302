// The metadata tables: the user mirror and profiles, namespaces (users and organizations), teams,
// repositories, grants, versioned documents, and the repository view fed by registry events.
import { sql, type Migration } from '@docksphere/db';

export const platformSchema: Migration = {
  name: '001_platform',
  async up(db) {
    const statements = [
      // Users are the auth service's: this is what metadata learned from its events and subjects.
      sql`create table platform.users (
        id text primary key,
        username text not null unique,
        admin boolean not null default false,
        disabled boolean not null default false,
        ldap_groups text[] not null default '{}',
        display_name text not null default '',
        bio text not null default '',
        avatar bytea,
        avatar_type text,
        avatar_updated_at timestamptz,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now()
      )`,
      sql`create table platform.namespaces (
        name text primary key,
        kind text not null check (kind in ('user', 'org')),
        user_id text unique references platform.users (id) on delete cascade,
        display_name text not null default '',
        description text not null default '',
        repository_creation text not null default 'members' check (repository_creation in ('owners', 'members')),
        created_at timestamptz not null default now(),
        check ((kind = 'user') = (user_id is not null))
      )`,
      sql`create table platform.org_members (
        organization text not null references platform.namespaces (name) on delete cascade,
        user_id text not null references platform.users (id) on delete cascade,
        role text not null check (role in ('owner', 'member')),
        created_at timestamptz not null default now(),
        primary key (organization, user_id)
      )`,
      sql`create index org_members_user on platform.org_members (user_id)`,
      sql`create table platform.teams (
        id uuid primary key,
        organization text not null references platform.namespaces (name) on delete cascade,
        name text not null,
        description text not null default '',
        ldap_group text,
        created_at timestamptz not null default now(),
        unique (organization, name)
      )`,
      sql`create index teams_ldap_group on platform.teams (ldap_group) where ldap_group is not null`,
      sql`create table platform.team_members (
        team_id uuid not null references platform.teams (id) on delete cascade,
        user_id text not null references platform.users (id) on delete cascade,
        role text not null check (role in ('maintainer', 'member')),
        created_at timestamptz not null default now(),
        primary key (team_id, user_id)
      )`,
      sql`create index team_members_user on platform.team_members (user_id)`,
      sql`create table platform.repositories (
        id uuid primary key,
        namespace text not null references platform.namespaces (name),
        name text not null unique,
        visibility text not null check (visibility in ('public', 'private')),
        description text not null default '',
        created_by text not null,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        last_pushed_at timestamptz,
        pull_count bigint not null default 0,
        last_pulled_at timestamptz,
        search tsvector generated always as (to_tsvector('simple', replace(replace(name, '/', ' '), '-', ' ') || ' ' || description)) stored
      )`,
      sql`create index repositories_namespace on platform.repositories (namespace, name)`,
      sql`create index repositories_search on platform.repositories using gin (search)`,
      // A grant targets one repository, or (team grants only) a name pattern inside a namespace:
      // match_exact / match_prefix are the pattern pre-digested for SQL.
      sql`create table platform.grants (
        id uuid primary key,
        namespace text not null references platform.namespaces (name) on delete cascade,
        repository_id uuid references platform.repositories (id) on delete cascade,
        pattern text,
        match_exact text,
        match_prefix text,
        user_id text references platform.users (id) on delete cascade,
        team_id uuid references platform.teams (id) on delete cascade,
        level text not null check (level in ('read', 'write', 'admin')),
        created_by text not null,
        created_at timestamptz not null default now(),
        check ((user_id is null) <> (team_id is null)),
        check ((repository_id is null) <> (pattern is null)),
        check (pattern is null or team_id is not null),
        check (pattern is null or ((match_exact is null) <> (match_prefix is null)))
      )`,
      sql`create unique index grants_repository_user on platform.grants (repository_id, user_id) where repository_id is not null and user_id is not null`,
      sql`create unique index grants_repository_team on platform.grants (repository_id, team_id) where repository_id is not null and team_id is not null`,
      sql`create unique index grants_pattern_team on platform.grants (namespace, pattern, team_id) where pattern is not null`,
      sql`create index grants_team on platform.grants (team_id)`,
      sql`create index grants_user on platform.grants (user_id)`,
      sql`create table platform.repository_docs (
        repository_id uuid not null references platform.repositories (id) on delete cascade,
        version integer not null,
        markdown text not null,
        html text not null,
        author_id text not null,
        author_name text not null,
        created_at timestamptz not null default now(),
        primary key (repository_id, version)
      )`,
      sql`create table platform.pages (
        slug text primary key,
        title text not null,
        position integer not null default 0,
        current_version integer not null,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now()
      )`,
      sql`create table platform.page_versions (
        slug text not null references platform.pages (slug) on delete cascade,
        version integer not null,
        title text not null,
        markdown text not null,
        html text not null,
        author_id text not null,
        author_name text not null,
        created_at timestamptz not null default now(),
        primary key (slug, version)
      )`,
      sql`create table platform.manifests (
        repository_id uuid not null references platform.repositories (id) on delete cascade,
        digest text not null,
        media_type text not null,
        size bigint not null,
        total_size bigint not null,
        platforms text[] not null default '{}',
        artifact_type text,
        pushed_at timestamptz not null,
        pushed_by text not null,
        pull_count bigint not null default 0,
        last_pulled_at timestamptz,
        primary key (repository_id, digest)
      )`,
      sql`create table platform.tags (
        repository_id uuid not null references platform.repositories (id) on delete cascade,
        tag text not null,
        digest text not null,
        pushed_at timestamptz not null,
        pushed_by text not null,
        pull_count bigint not null default 0,
        last_pulled_at timestamptz,
        primary key (repository_id, tag)
      )`,
      sql`create table platform.tag_history (
        id bigserial primary key,
        repository_id uuid not null references platform.repositories (id) on delete cascade,
        tag text not null,
        digest text not null,
        action text not null check (action in ('pushed', 'deleted')),
        at timestamptz not null,
        actor text not null
      )`,
      sql`create index tag_history_tag on platform.tag_history (repository_id, tag, id desc)`,
      sql`create index tag_history_recent on platform.tag_history (at desc) where action = 'pushed'`,
      sql`create table platform.daily_stats (
        day date primary key,
        pushes bigint not null default 0,
        pulls bigint not null default 0
      )`,
    ];
    for (const statement of statements) await statement.execute(db);
  },
};
