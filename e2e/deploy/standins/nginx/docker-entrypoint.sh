#!/bin/sh
# The official nginx image's template step: each $NGINX_ENVSUBST_TEMPLATE_DIR/*.template is written to
# $NGINX_ENVSUBST_OUTPUT_DIR without the suffix, replacing only the defined environment variables
# whose names match $NGINX_ENVSUBST_FILTER.
set -eu
template_dir=${NGINX_ENVSUBST_TEMPLATE_DIR:-/etc/nginx/templates}
output_dir=${NGINX_ENVSUBST_OUTPUT_DIR:-/etc/nginx/conf.d}
filter=${NGINX_ENVSUBST_FILTER:-}
defined=$(printf '${%s} ' $(env | cut -d= -f1 | grep -E "${filter:-.}"))
for template in "$template_dir"/*.template; do
  [ -f "$template" ] || continue
  out="$output_dir/$(basename "$template" .template)"
  envsubst "$defined" < "$template" > "$out"
done
exec "$@"
