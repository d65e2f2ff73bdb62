#!/bin/sh
# Creates two InfluxDB 2 tokens limited to one bucket, on the first start of the compose stack, and
# keeps them on every later start:
#   influx-receiver-token  read and write: the receiver writes samples, reads the nightly model
#                          and deletes through /api/v2/delete, which needs write permission.
#   influx-read-token      read only: Grafana and dashboard-lite.
# Neither token can create buckets, users or other tokens, which the operator token can.
#
# Runs in the official InfluxDB image, which has the influx CLI, as uid 1000 (the owner of the
# secrets directory). The admin token is passed to influx through INFLUX_TOKEN, so it never
# appears in a process list. Prints the names of the files it writes, never their contents.
#
# Usage: create-bucket-tokens.sh [DIRECTORY]   (default /run/hrv-secrets)
# INFLUX_HOST (default http://influxdb:8086), INFLUX_ORG (default hrv), INFLUX_BUCKET (default hrv).
#
# To replace a token, delete its file and start the stack again: a new token is created. The old
# one stays valid until it is deleted in InfluxDB (`influx auth list`, `influx auth delete`).
set -eu

secrets_dir="${1:-/run/hrv-secrets}"
bucket="${INFLUX_BUCKET:-hrv}"
export INFLUX_HOST="${INFLUX_HOST:-http://influxdb:8086}"
export INFLUX_ORG="${INFLUX_ORG:-hrv}"

if [ ! -s "$secrets_dir/influx-admin-token" ]; then
    echo "create-bucket-tokens: $secrets_dir/influx-admin-token not found. secrets-init creates it, so check its logs." >&2
    exit 1
fi
INFLUX_TOKEN="$(cat "$secrets_dir/influx-admin-token")"
export INFLUX_TOKEN

# The table's first column is the bucket ID, and --name selects exactly one bucket.
bucket_id="$(influx bucket list --name "$bucket" --hide-headers | awk 'NR == 1 { print $1 }')"
if [ -z "$bucket_id" ]; then
    echo "create-bucket-tokens: bucket $bucket not found in organization $INFLUX_ORG." >&2
    exit 1
fi

# Writes a new token with the given permission flags to FILE unless FILE already contains one.
create_token_if_missing() {
    name="$1"
    file="$secrets_dir/$name"
    description="$2"
    shift 2

    if [ -s "$file" ]; then
        echo "create-bucket-tokens: kept existing $name"
        return 0
    fi

    # `--json` prints the new authorization; its "token" member is the secret.
    temporary="$file.partial"
    (umask 077 && influx auth create --description "$description" --json "$@" \
        | sed -n 's/.*"token":[[:space:]]*"\([^"]*\)".*/\1/p' > "$temporary")
    if [ ! -s "$temporary" ]; then
        rm -f "$temporary"
        echo "create-bucket-tokens: influx auth create printed no token for $name." >&2
        exit 1
    fi
    chmod 0400 "$temporary"
    mv "$temporary" "$file"
    echo "create-bucket-tokens: created $name ($description)"
}

create_token_if_missing influx-receiver-token "hrv-stack receiver: read and write bucket $bucket" \
    --read-bucket "$bucket_id" --write-bucket "$bucket_id"
create_token_if_missing influx-read-token "hrv-stack readers: read bucket $bucket" \
    --read-bucket "$bucket_id"
