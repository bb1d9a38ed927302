// Starts the real servers tests need (Postgres, Redis, NATS, NGINX, dockerd) on free loopback ports.
