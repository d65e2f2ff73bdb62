#!/bin/sh
# Creates the InfluxDB admin token and admin password on the first start of the compose stack
# and keeps them on every later start. InfluxDB reads both files only during its first setup,
# so replacing them afterwards would lock the receiver out.
#
# Usage: generate-secrets.sh [DIRECTORY]   (default /run/hrv-secrets)
# SECRETS_OWNER (default 1000:1000) receives the files: uid 1000 is `node` in the receiver image
# and `influxdb` in the official InfluxDB image, so one owner serves both containers.
# Prints the names of the files it writes, never their contents.
set -eu

secrets_dir="${1:-/run/hrv-secrets}"
owner="${SECRETS_OWNER:-1000:1000}"

# Prints BYTES random bytes from the kernel CSPRNG as lowercase hex, without a newline. Hex keeps
# the values free of characters that a shell, a URL or a command-line flag parser would treat
# specially.
random_hex() {
    od -An -tx1 -N"$1" /dev/urandom | tr -d ' \n'
}

# Writes a new random value to FILE unless FILE already contains one.
write_if_missing() {
    file="$secrets_dir/$1"
    bytes="$2"

    if [ -s "$file" ]; then
        echo "generate-secrets: kept existing $1"
        return 0
    fi

    # The rename is atomic within one file system, so a reader never sees a half-written file.
    temporary="$file.partial"
    (umask 077 && random_hex "$bytes" > "$temporary")
    mv "$temporary" "$file"
    echo "generate-secrets: generated $1 ($bytes random bytes, hex)"
}

# Writes VALUE to FILE unless FILE already contains one. An empty VALUE generates a random one.
write_given_if_missing() {
    file="$secrets_dir/$1"
    value="$2"

    if [ -z "$value" ] || [ -s "$file" ]; then
        write_if_missing "$1" "$3"
        return 0
    fi

    temporary="$file.partial"
    (umask 077 && printf '%s' "$value" > "$temporary")
    mv "$temporary" "$file"
    echo "generate-secrets: wrote $1 from the given value"
}

if [ ! -d "$secrets_dir" ]; then
    echo "generate-secrets: directory $secrets_dir not found. Mount the secrets volume there." >&2
    exit 1
fi

write_if_missing influx-admin-token 32
write_if_missing influx-admin-password 24
# Grafana reads its admin password on its first start only, when it creates its database. So
# GRAFANA_ADMIN_PASSWORD counts only while the file is missing, and later changes go through Grafana.
write_given_if_missing grafana-admin-password "${GRAFANA_ADMIN_PASSWORD:-}" 24

for name in influx-admin-token influx-admin-password grafana-admin-password; do
    chmod 0400 "$secrets_dir/$name"
    chown "$owner" "$secrets_dir/$name"
done
chmod 0700 "$secrets_dir"
chown "$owner" "$secrets_dir"
